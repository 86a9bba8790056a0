import type { MarginFn } from '@arcface/margins';

/**
 * For margins that define the general `logits` form (they move non-target logits or read
 * feature norms): returns a factory whose margins carry no target-only tensor form.
 * `defineMargin` fills in a host-evaluated `target`/`targetGradient` pair from `targetLogit`
 * for every margin, and `marginSoftmaxLoss` takes its closed-form path whenever that pair
 * exists — which would skip these margins' own `logits` (CurricularFace's negatives, AdaFace's
 * norms). Without the pair, the loss differentiates `logits` itself.
 */
export function withGeneralLogits<F extends ((options?: never) => MarginFn) & { readonly marginName: string }>(factory: F): F {
  const wrapped = (options?: Parameters<F>[0]) => {
    const { target: _target, targetGradient: _targetGradient, ...rest } = factory(options as never);
    return Object.freeze(rest);
  };
  return Object.assign(wrapped, { marginName: factory.marginName }) as unknown as F;
}

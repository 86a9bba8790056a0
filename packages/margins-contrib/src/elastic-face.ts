import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from '@arcface/margins';
import { MAX_ANGULAR_MARGIN, checkChoice, checkNumber } from './options';
import {
  additiveAngularTarget,
  checkLogitInputs,
  replaceTargets,
  straightThrough,
  targetCosines,
  targetMask,
} from './tensor-ops';

/** ElasticFace's own options and their defaults (`fdbtrs/ElasticFace`, `config/config.py`). */
export const ELASTICFACE_DEFAULTS = {
  /** 'arc': cos(θ + m_i) (ElasticFace-Arc); 'cos': cos θ − m_i (ElasticFace-Cos). */
  variant: 'arc' as 'arc' | 'cos',
  /** Mean margin m; null means the variant's default, 0.5 for 'arc' and 0.35 for 'cos'. */
  m: null as number | null,
  /** Standard deviation σ of the margin: 0.05, what the paper's models trained with (the class default is 0.0125). */
  sigma: 0.05,
  /** Seed of the draws: the draw at training step n uses seed + n (n = `context.step`, 0 when absent). */
  seed: 0,
};

type ElasticSettings = Partial<typeof ELASTICFACE_DEFAULTS>;

/** The mean margin of an option set: `m`, or the variant's default. */
export function elasticFaceMeanMargin(options: ElasticSettings = {}): number {
  const variant = options.variant ?? 'arc';
  return options.m ?? (variant === 'arc' ? 0.5 : 0.35);
}

/**
 * ElasticFace's unscaled target in float64 for one drawn margin `mi`, with no threshold.
 *
 * @example
 * ```ts
 * import { elasticFaceTarget } from '@arcface/margins-contrib';
 * console.log(elasticFaceTarget(Math.PI / 3, 0.35, 'cos')); // cos(π/3) − 0.35 = 0.15
 * ```
 */
export function elasticFaceTarget(theta: number, mi: number, variant: 'arc' | 'cos' = 'arc'): number {
  return variant === 'arc' ? Math.cos(theta + mi) : Math.cos(theta) - mi;
}

/**
 * ElasticFace (Boutros et al., CVPRW 2022): ArcFace or CosFace with a margin drawn per sample
 * and step, m_i ~ N(m, σ), with no threshold, as the original. Draws come from
 * {@link elasticFaceDraw} (`tf.randomNormal` with seed `seed + step`), so a run is
 * reproducible and a recomputation within a step sees the same margins. Pass
 * `context.step` (the trainer does): without it every call uses the draw of step 0.
 *
 * `targetLogit(θ)` is the target at the mean margin. For the 'arc' variant that is cos(θ + m)
 * everywhere, as in the paper, which rises again past θ = π − m: `checkMargin` reports it not
 * monotone on (π − m, π]. Targets start near θ = 90° in training and do not go there.
 *
 * @example
 * ```ts
 * import { elasticFace } from '@arcface/margins-contrib';
 * console.log(elasticFace({ variant: 'cos' }).targetLogit(Math.PI / 3)); // cos(π/3) − 0.35 = 0.15
 * ```
 */
export const elasticFace = defineMargin({
  name: 'elasticface',
  defaults: ELASTICFACE_DEFAULTS,
  validate(o, fail) {
    checkChoice(fail, 'variant', o.variant, ['arc', 'cos']);
    if (o.m !== null) checkNumber(fail, 'm', o.m, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'sigma', o.sigma, 0, 1);
    checkNumber(fail, 'seed', o.seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  },
  setup(options) {
    const { s, gradient } = options;
    const variant = options.variant as 'arc' | 'cos';
    const m = elasticFaceMeanMargin(options);
    return {
      targetLogit: (theta) => elasticFaceTarget(theta, m, variant),
      logits(cosines, labels, context) {
        checkLogitInputs('elasticface', cosines, labels);
        // The draw depends on (seed, step) only: a loss that recomputes the logits for its
        // backward pass gets the very margins of its forward pass.
        const draw = context.step ?? 0;
        return tf.tidy(() => {
          const rows = cosines.shape[0];
          const margins = elasticFaceDraw(rows, options, draw);
          const clamped = tf.clipByValue(cosines, -1, 1) as tf.Tensor2D;
          const mask = targetMask(labels, clamped.shape[1]);
          const cosTarget = targetCosines(clamped, mask);
          let target =
            variant === 'arc' ? additiveAngularTarget(cosTarget, margins, 'none') : (tf.sub(cosTarget, margins) as tf.Tensor1D);
          if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
          return tf.mul(replaceTargets(clamped, mask, target, cosTarget), s) as tf.Tensor2D;
        });
      },
    };
  },
});

/**
 * The per-sample margins m_i ~ N(m, σ) of draw `n` (a step or call index), [rows]: the values
 * {@link elasticFace}'s `logits` uses for that draw.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import { elasticFaceDraw } from '@arcface/margins-contrib';
 * const margins = elasticFaceDraw(4, { sigma: 0.05 }, 0);
 * console.log(await margins.data()); // four values near 0.5
 * margins.dispose();
 * ```
 */
export function elasticFaceDraw(rows: number, options: ElasticSettings, n: number): tf.Tensor1D {
  const m = elasticFaceMeanMargin(options);
  const sigma = options.sigma ?? ELASTICFACE_DEFAULTS.sigma;
  const seed = options.seed ?? ELASTICFACE_DEFAULTS.seed;
  if (sigma === 0) return tf.fill([rows], m) as tf.Tensor1D;
  return tf.randomNormal([rows], m, sigma, 'float32', seed + n);
}

import * as tf from '@tensorflow/tfjs-core';
import { RunningState, defineMargin } from '@arcface/margins';
import { safeAcos } from '@arcface/core';
import { checkFeatureNorms } from './errors';
import { MAX_ANGULAR_MARGIN, checkNumber, checkPositive } from './options';
import { checkLogitInputs, detach, replaceTargets, straightThrough, targetCosines, targetMask } from './tensor-ops';

/** AdaFace's own options and their defaults (`mk-minchul/AdaFace/head.py`). */
export const ADAFACE_DEFAULTS = {
  /** Margin m. */
  m: 0.4,
  /** Concentration h of the norm statistic. */
  h: 0.333,
  /** Rate of the running mean and std of the norms: 1 uses batch statistics only (Keras_insightface: 0.01). */
  tAlpha: 1.0,
  /** Starting running mean μ of ‖x‖. */
  initialMean: 20,
  /** Starting running std σ of ‖x‖. */
  initialStd: 100,
  /** The clamp ε of cos θ (to ±(1 − ε)) and of θ (to [ε, π − ε]). */
  eps: 1e-3,
};

/**
 * AdaFace's target in float64 for a sample whose norm statistic is `zHat` ∈ [−1, 1]
 * (ẑ = clip(h·(‖x‖ − μ)/(σ + ε), −1, 1)):
 *
 *   θ' = clip(θ − m·ẑ, ε, π − ε),   t = cos θ' − (m + m·ẑ),   θ from cos θ clamped to ±(1 − ε).
 *
 * High-norm (clear) samples get ẑ → 1: an angular margin of −m and an additive one of 2m;
 * low-norm (hard) samples get ẑ → −1: an angular margin of m and no additive one.
 *
 * @example
 * ```ts
 * import { adaFaceTarget } from '@arcface/margins-contrib';
 * console.log(adaFaceTarget(Math.PI / 3, 0)); // cos(π/3) − 0.4 = 0.1
 * ```
 */
export function adaFaceTarget(theta: number, zHat: number, options: { m?: number; eps?: number } = {}): number {
  const m = options.m ?? ADAFACE_DEFAULTS.m;
  const eps = options.eps ?? ADAFACE_DEFAULTS.eps;
  const c = Math.min(Math.max(Math.cos(theta), -1 + eps), 1 - eps);
  const shifted = Math.min(Math.max(Math.acos(c) - m * zHat, eps), Math.PI - eps);
  return Math.cos(shifted) - (m + m * zHat);
}

/**
 * AdaFace (Kim et al., CVPR 2022): a margin that adapts to image quality, measured by the
 * feature norm ‖x‖ (`context.featureNorms`, detached: the norm steers the margin but receives
 * no gradient through it; without norms every row is taken as a sample of average norm, ẑ = 0). Norms are clipped to [0.001, 100]; their batch mean and std
 * (unbiased as torch's, 0 for a batch of one) feed running averages μ, σ with rate `tAlpha`,
 * updated only when `context.training` is not false. See {@link adaFaceTarget} for the formula.
 *
 * `targetLogit(θ)` is the target of a sample of average norm (ẑ = 0): cos θ − m, which passes
 * every law `checkMargin` checks.
 *
 * @example
 * ```ts
 * import { adaFace } from '@arcface/margins-contrib';
 * const margin = adaFace({ m: 0.4 });
 * console.log(margin.targetLogit(Math.PI / 2)); // −0.4
 * ```
 */
export const adaFace = defineMargin({
  name: 'adaface',
  defaults: ADAFACE_DEFAULTS,
  validate(o, fail) {
    checkNumber(fail, 'm', o.m, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'h', o.h, 0, Number.MAX_VALUE);
    checkNumber(fail, 'tAlpha', o.tAlpha, 0, 1);
    checkPositive(fail, 'initialMean', o.initialMean);
    checkNumber(fail, 'initialStd', o.initialStd, 0, Number.MAX_VALUE);
    checkNumber(fail, 'eps', o.eps, 0, 0.5);
  },
  setup({ m, h, tAlpha, initialMean, initialStd, eps, s, gradient }) {
    // One running state per margin instance (setup runs once per factory call): the running
    // mean and std of ‖x‖, read and restored through readState/restoreState as { mean, std }.
    const state = new RunningState('adaface', { mean: initialMean, std: initialStd });
    return {
      state,
      targetLogit: (theta) => adaFaceTarget(theta, 0, { m, eps }),
      logits(cosines, labels, context) {
        checkLogitInputs('adaface', cosines, labels);
        const norms = checkFeatureNorms('adaface', context.featureNorms, cosines.shape[0]);
        return tf.tidy(() => {
          // Every cosine is clamped to ±(1 − ε), as head.py clamps the whole matrix: a
          // non-target cosine past it gives s·(1 − ε) and no gradient. It also keeps acos and
          // its derivative finite on the target column.
          const clamped = tf.clipByValue(cosines, -1 + eps, 1 - eps) as tf.Tensor2D;
          const mask = targetMask(labels, clamped.shape[1]);
          const cosTarget = targetCosines(clamped, mask);
          // Without norms (a plot, `checkMargin`), every row is a sample of average norm: ẑ = 0,
          // the curve of `targetLogit`. The loss always passes norms.
          const zHat = norms === undefined ? tf.zerosLike(cosTarget) : normStatistic(norms);
          const theta = tf.clipByValue(tf.sub(safeAcos(cosTarget), tf.mul(zHat, m)), eps, Math.PI - eps);
          let target = tf.sub(tf.cos(theta), tf.add(tf.mul(zHat, m), m)) as tf.Tensor1D;
          if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
          return tf.mul(replaceTargets(clamped, mask, target, cosTarget), s) as tf.Tensor2D;
        });

        function normStatistic(given: tf.Tensor1D): tf.Tensor1D {
          const safeNorms = detach(tf.clipByValue(given, 0.001, 100));
          if (context.training !== false) {
            const count = safeNorms.shape[0] as number;
            const batchMean = tf.mean(safeNorms);
            // torch's Tensor.std() is unbiased; a batch of one has no spread: 0, not NaN.
            const batchStd =
              count > 1 ? tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(safeNorms, batchMean))), count - 1)) : tf.scalar(0);
            state.set('mean', tf.add(tf.mul(batchMean, tAlpha), tf.mul(state.get('mean'), 1 - tAlpha)));
            state.set('std', tf.add(tf.mul(batchStd, tAlpha), tf.mul(state.get('std'), 1 - tAlpha)));
          }
          return tf.clipByValue(
            tf.mul(tf.div(tf.sub(safeNorms, state.get('mean')), tf.add(state.get('std'), eps)), h),
            -1,
            1,
          ) as tf.Tensor1D;
        }
      },
    };
  },
});

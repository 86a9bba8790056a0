import * as tf from '@tensorflow/tfjs-core';
import { RunningState, defineMargin } from '@arcface/margins';
import { MAX_ANGULAR_MARGIN, checkNumber } from './options';
import {
  additiveAngularTarget,
  additiveAngularTargetScalar,
  checkLogitInputs,
  detach,
  greaterMask,
  replaceTargets,
  select,
  straightThrough,
  targetCosines,
  targetMask,
} from './tensor-ops';

/** CurricularFace's own options and their defaults (`HuangYG123/CurricularFace/head/metrics.py`). */
export const CURRICULARFACE_DEFAULTS = {
  /** Angular margin m. */
  m: 0.5,
  /** Rate of the running mean t of cos θ_y. */
  momentum: 0.01,
  /** Starting t. */
  initialT: 0,
};

/**
 * CurricularFace's unscaled logit for a non-target class j in float64: a hard negative (one with
 * cos θ_j above cos(θ_y + m), the margin-shifted target without boundary) becomes
 * cos θ_j · (t + cos θ_j); the rest stay cos θ_j. Early in training t ≈ 0 and hard negatives
 * are damped; as t grows towards 1 they are emphasised: the curriculum.
 *
 * @example
 * ```ts
 * import { curricularFaceNegative } from '@arcface/margins-contrib';
 * console.log(curricularFaceNegative(0.6, 0.5, 0.2)); // 0.6 · (0.2 + 0.6) = 0.48
 * ```
 */
export function curricularFaceNegative(cosNegative: number, shiftedTarget: number, t: number): number {
  return cosNegative > shiftedTarget ? cosNegative * (t + cosNegative) : cosNegative;
}

/**
 * CurricularFace (Huang et al., CVPR 2020). The target is ArcFace's with insightface's th/mm
 * boundary: cos(θ_y + m) where cos θ_y > cos(π − m), else cos θ_y − m·sin m. Every non-target
 * logit is modulated by {@link curricularFaceNegative}, with
 * t ← momentum·mean(cos θ_y) + (1 − momentum)·t computed from detached values before use (as
 * the original, under `torch.no_grad`), and only when `context.training` is not false.
 *
 * `checkMargin` judges the target curve `targetLogit(θ)`, which passes its laws; the non-target
 * modulation lies outside them (once t > 1 − cos θ_j it raises a hard negative above cos θ_j,
 * on purpose).
 *
 * @example
 * ```ts
 * import { curricularFace } from '@arcface/margins-contrib';
 * console.log(curricularFace().targetLogit(Math.PI / 3)); // cos(π/3 + 0.5) ≈ 0.0236
 * ```
 */
export const curricularFace = defineMargin({
  name: 'curricularface',
  defaults: CURRICULARFACE_DEFAULTS,
  validate(o, fail) {
    checkNumber(fail, 'm', o.m, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'momentum', o.momentum, 0, 1);
    checkNumber(fail, 'initialT', o.initialT, -1, 1);
  },
  setup({ m, momentum, initialT, s, gradient }) {
    // One state per margin instance (setup runs once per factory call): the running t, read
    // and restored through the margin's readState/restoreState as { t }.
    const state = new RunningState('curricularface', { t: initialT });
    return {
      state,
      targetLogit: (theta) => additiveAngularTargetScalar(theta, m, 'thmm'),
      boundaries: () => [Math.PI - m],
      logits(cosines, labels, context) {
        checkLogitInputs('curricularface', cosines, labels);
        return tf.tidy(() => {
          const clamped = tf.clipByValue(cosines, -1, 1) as tf.Tensor2D;
          const mask = targetMask(labels, clamped.shape[1]);
          const cosTarget = targetCosines(clamped, mask);
          let target = additiveAngularTarget(cosTarget, m, 'thmm');
          if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
          if (context.training !== false) {
            const batchMean = tf.mean(detach(cosTarget));
            state.set('t', tf.add(tf.mul(batchMean, momentum), tf.mul(state.get('t'), 1 - momentum)));
          }
          // Hard negatives are judged against cos(θ_y + m) without the th/mm boundary, as the
          // original compares with `cos_theta_m`.
          const shifted = detach(additiveAngularTarget(cosTarget, m, 'none'));
          const hard = greaterMask(clamped, tf.expandDims(shifted, 1));
          const modulated = tf.mul(clamped, tf.add(state.get('t'), clamped));
          const negatives = select<tf.Tensor2D>(hard, modulated, clamped);
          return tf.mul(replaceTargets(negatives, mask, target, targetCosines(negatives, mask)), s) as tf.Tensor2D;
        });
      },
    };
  },
});

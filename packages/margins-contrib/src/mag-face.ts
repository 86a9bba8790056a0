import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from '@arcface/margins';
import { MissingFeatureNormsError, checkFeatureNorms } from './errors';
import { MAX_ANGULAR_MARGIN, checkChoice, checkNumber, checkPositive } from './options';
import {
  type AngularBoundary,
  additiveAngularTarget,
  additiveAngularTargetScalar,
  checkLogitInputs,
  replaceTargets,
  straightThrough,
  targetCosines,
  targetMask,
} from './tensor-ops';

/** MagFace's own options and their defaults (`IrvingMeng/MagFace`: `MagLinear`, `run/trainer.py`). */
export const MAGFACE_DEFAULTS = {
  /** Lower bound l_a of the feature norm. */
  lowerNorm: 10,
  /** Upper bound u_a of the feature norm. */
  upperNorm: 110,
  /** Margin l_m at a = l_a. */
  lowerMargin: 0.45,
  /** Margin u_m at a = u_a. */
  upperMargin: 0.8,
  /** Weight λ_g of the norm regulariser (Keras_insightface uses 35). */
  lambdaG: 20,
  /** Boundary of cos(θ + m(a)): 'easy' as `MagLinear(easy_margin=True)`, or 'thmm', 'none'. */
  boundary: 'easy' as 'easy' | 'thmm' | 'none',
};

type MagFaceSettings = Partial<Omit<typeof MAGFACE_DEFAULTS, 'boundary'>> & { s?: number };

/**
 * MagFace's margin for a feature norm in float64: a = clip(‖x‖, l_a, u_a),
 * m(a) = (u_m − l_m)/(u_a − l_a)·(a − l_a) + l_m. Larger norms (clearer faces) get larger margins.
 *
 * @example
 * ```ts
 * import { magFaceMargin } from '@arcface/margins-contrib';
 * console.log(magFaceMargin(60)); // 0.45 + 0.35 · 50/100 = 0.625
 * ```
 */
export function magFaceMargin(norm: number, options: MagFaceSettings = {}): number {
  const o = { ...MAGFACE_DEFAULTS, ...options };
  const a = Math.min(Math.max(norm, o.lowerNorm), o.upperNorm);
  return ((o.upperMargin - o.lowerMargin) / (o.upperNorm - o.lowerNorm)) * (a - o.lowerNorm) + o.lowerMargin;
}

/**
 * The smallest λ_g for which the MagFace paper proves a unique optimal norm:
 * s·k·u_a²·l_a²/(u_a² − l_a²) with k = (u_m − l_m)/(u_a − l_a); `run/trainer.py` warns below it.
 * With every default (s = 64) it is ≈ 22.6, above the default λ_g = 20, so the original code
 * trains its defaults under its own warning.
 *
 * @example
 * ```ts
 * import { magFaceLambdaLowerBound } from '@arcface/margins-contrib';
 * console.log(magFaceLambdaLowerBound().toFixed(1)); // '22.6'
 * ```
 */
export function magFaceLambdaLowerBound(options: MagFaceSettings = {}): number {
  const o = { ...MAGFACE_DEFAULTS, s: 64, ...options };
  const k = (o.upperMargin - o.lowerMargin) / (o.upperNorm - o.lowerNorm);
  const ua2 = o.upperNorm ** 2;
  const la2 = o.lowerNorm ** 2;
  return (o.s * k * ua2 * la2) / (ua2 - la2);
}

/**
 * MagFace (Meng et al., CVPR 2021): an ArcFace target whose margin grows with the feature norm,
 * m(a) of {@link magFaceMargin}, and the regulariser λ_g·mean(a/u_a² + 1/a) (returned by
 * `regularizer`, added to the cross-entropy by the loss) that rewards norms up to u_a. Both read
 * `context.featureNorms` and, unlike AdaFace, pass gradients to the norms: that is how MagFace
 * learns a norm that measures quality.
 *
 * `targetLogit(θ)` is the target at the smallest norm (m = l_m). With the default
 * `boundary: 'easy'` the target jumps up by sin m at θ = 90° (to cos θ), so `checkMargin`
 * reports it not monotone there, as in the original; `boundary: 'thmm'` passes every law.
 *
 * @example
 * ```ts
 * import { magFace } from '@arcface/margins-contrib';
 * console.log(magFace({ boundary: 'thmm' }).targetLogit(Math.PI / 3)); // cos(π/3 + 0.45)
 * ```
 */
export const magFace = defineMargin({
  name: 'magface',
  defaults: MAGFACE_DEFAULTS,
  validate(o, fail) {
    checkPositive(fail, 'lowerNorm', o.lowerNorm);
    checkPositive(fail, 'upperNorm', o.upperNorm);
    if (!(o.upperNorm > o.lowerNorm)) fail('upperNorm', `must be greater than lowerNorm (${o.lowerNorm}), got ${o.upperNorm}`);
    checkNumber(fail, 'lowerMargin', o.lowerMargin, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'upperMargin', o.upperMargin, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'lambdaG', o.lambdaG, 0, Number.MAX_VALUE);
    checkChoice(fail, 'boundary', o.boundary, ['easy', 'thmm', 'none']);
  },
  setup({ lowerNorm, upperNorm, lowerMargin, upperMargin, lambdaG, boundary, s, gradient }) {
    const slope = (upperMargin - lowerMargin) / (upperNorm - lowerNorm);
    const policy = boundary as AngularBoundary;
    const clippedNorms = (norms: tf.Tensor1D) => tf.clipByValue(norms, lowerNorm, upperNorm) as tf.Tensor1D;
    return {
      targetLogit: (theta) => additiveAngularTargetScalar(theta, lowerMargin, policy),
      boundaries: () => (policy === 'easy' ? [Math.PI / 2] : policy === 'thmm' ? [Math.PI - lowerMargin] : []),
      logits(cosines, labels, context) {
        checkLogitInputs('magface', cosines, labels);
        const norms = checkFeatureNorms('magface', context.featureNorms, cosines.shape[0]);
        return tf.tidy(() => {
          // Without norms (a plot, `checkMargin`) every row gets a = l_a, the curve of `targetLogit`.
          const margin =
            norms === undefined
              ? lowerMargin
              : (tf.add(tf.mul(tf.sub(clippedNorms(norms), lowerNorm), slope), lowerMargin) as tf.Tensor1D);
          const clamped = tf.clipByValue(cosines, -1, 1) as tf.Tensor2D;
          const mask = targetMask(labels, clamped.shape[1]);
          const cosTarget = targetCosines(clamped, mask);
          let target = additiveAngularTarget(cosTarget, margin, policy);
          if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
          return tf.mul(replaceTargets(clamped, mask, target, cosTarget), s) as tf.Tensor2D;
        });
      },
      regularizer(context) {
        const given = context.featureNorms;
        if (given === undefined) throw new MissingFeatureNormsError('magface');
        checkFeatureNorms('magface', given, given.shape[0]);
        return tf.tidy(() => {
          const a = clippedNorms(given);
          // g(a) = a/u_a² + 1/a: convex, smallest at a = u_a, steep for small norms.
          const g = tf.add(tf.div(a, upperNorm * upperNorm), tf.reciprocal(a));
          return tf.mul(tf.mean(g), lambdaG) as tf.Scalar;
        });
      },
    };
  },
});

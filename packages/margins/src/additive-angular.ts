import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from './define-margin';
import type { MarginInput } from './define-margin';
import { clampForGradient, sinFromCos } from './cosine-math';
import { checkChoiceOption, checkNumberOption } from './option-checks';

/** What ArcFace does where θ + m passes π (and cos(θ + m) starts to grow again). */
export type AdditiveAngularBoundary = 'none' | 'easy' | 'thmm' | 'reflect';

export const ADDITIVE_ANGULAR_BOUNDARIES: readonly AdditiveAngularBoundary[] = ['none', 'easy', 'thmm', 'reflect'];

/** Options of `additive-angular` (ArcFace) without `s` and `gradient`. */
export type AdditiveAngularOwnOptions = {
  /** Angular margin m in radians, in [0, π/2] [0.5]. */
  m: number;
  /** Boundary policy ['thmm']. */
  boundary: AdditiveAngularBoundary;
};

/** Options `createMargin('additive-angular', …)` accepts. */
export type AdditiveAngularOptions = MarginInput<AdditiveAngularOwnOptions>;

/**
 * ArcFace (Deng et al. 2019): t(θ) = cos(θ + m), computed as c·cos m − sin θ·sin m, with a
 * boundary policy past θ = π − m, where θ + m passes π:
 * - `none`: cos(θ + m) everywhere (not monotone past π − m);
 * - `easy`: the margin only where cos θ > 0, else cos θ (jumps up at π/2);
 * - `thmm` (insightface, pytorch-metric-learning): cos θ − m·sin m where cos θ ≤ cos(π − m)
 *   (jumps down at π − m, stays monotone);
 * - `reflect` (Keras_insightface): −2 − cos(θ + m) there (continuous and monotone).
 *
 * @example
 * const arc = additiveAngular({ m: 0.5, s: 64 });
 * arc.targetLogit(Math.PI / 3); // cos(π/3 + 0.5)
 */
export const additiveAngular = defineMargin<'additive-angular', AdditiveAngularOwnOptions>({
  name: 'additive-angular',
  defaults: { m: 0.5, boundary: 'thmm' },
  validate(options) {
    checkNumberOption('additive-angular', 'm', options.m, { min: 0, max: Math.PI / 2 });
    checkChoiceOption('additive-angular', 'boundary', options.boundary, ADDITIVE_ANGULAR_BOUNDARIES);
  },
  setup({ m, boundary }) {
    const cosM = Math.cos(m);
    const sinM = Math.sin(m);
    // cos θ > threshold ⇔ θ < π − m: the region where θ + m stays below π.
    const threshold = Math.cos(Math.PI - m);
    const mm = m * sinM;
    // thmm switches where insightface does (cos θ > th); reflect is continuous there and also
    // takes the margin branch at cos θ = th, so that m = 0 stays the identity at θ = π.
    const marginApplies = (c: number) =>
      boundary === 'easy' ? c > 0 : boundary === 'none' || c > threshold || (boundary === 'reflect' && c === threshold);

    return {
      targetLogit(theta) {
        const c = Math.cos(theta);
        const shifted = Math.cos(theta + m);
        if (marginApplies(c)) return shifted;
        if (boundary === 'easy') return c;
        if (boundary === 'thmm') return c - mm;
        return -2 - shifted; // reflect
      },
      targetDerivative(c) {
        if (c <= -1 || c >= 1) return Number.NaN; // dθ/dc is infinite at the ends
        if ((boundary === 'easy' && c === 0) || (boundary === 'thmm' && c === threshold)) return Number.NaN;
        // d cos(θ + m)/dc = cos m + sin m · c / sin θ
        const shifted = cosM + (sinM * c) / Math.sqrt((1 - c) * (1 + c));
        if (marginApplies(c)) return shifted;
        if (boundary === 'easy' || boundary === 'thmm') return 1;
        return -shifted;
      },
      target(c) {
        return tf.tidy(() => {
          const shifted = tf.sub(tf.mul(c, cosM), tf.mul(sinFromCos(c), sinM));
          if (boundary === 'none') return shifted as tf.Tensor1D;
          if (boundary === 'easy') return tf.where(tf.greater(c, 0), shifted, c) as tf.Tensor1D;
          const fallback = boundary === 'thmm' ? tf.sub(c, mm) : tf.sub(-2, shifted);
          const inside = boundary === 'thmm' ? tf.greater(c, threshold) : tf.greaterEqual(c, threshold);
          return tf.where(inside, shifted, fallback) as tf.Tensor1D;
        });
      },
      targetGradient(c) {
        return tf.tidy(() => {
          const inner = clampForGradient(c);
          const shifted = tf.add(cosM, tf.div(tf.mul(inner, sinM), sinFromCos(inner)));
          if (boundary === 'none') return shifted as tf.Tensor1D;
          if (boundary === 'easy') return tf.where(tf.greater(c, 0), shifted, tf.onesLike(c)) as tf.Tensor1D;
          const fallback = boundary === 'thmm' ? tf.onesLike(c) : tf.neg(shifted);
          const inside = boundary === 'thmm' ? tf.greater(c, threshold) : tf.greaterEqual(c, threshold);
          return tf.where(inside, shifted, fallback) as tf.Tensor1D;
        });
      },
      boundaries() {
        return boundary === 'easy' ? [Math.PI / 2, Math.PI - m] : [Math.PI - m];
      },
    };
  },
});

import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from './define-margin';
import type { MarginInput } from './define-margin';
import { clampForGradient, sinFromCos } from './cosine-math';
import { checkChoiceOption, checkNumberOption } from './option-checks';

/** What the combined margin does past the angle (π − m2)/m1, where m1·θ + m2 passes π. */
export type CombinedBoundary = 'none' | 'reflect';

export const COMBINED_BOUNDARIES: readonly CombinedBoundary[] = ['none', 'reflect'];

/** Options of `combined` without `s` and `gradient`. */
export type CombinedOwnOptions = {
  /** Multiplicative angular margin m1, in (0, 2] [1]. */
  m1: number;
  /** Additive angular margin m2 in radians, in [0, π/2] [0.3]. */
  m2: number;
  /** Additive cosine margin m3, in [0, 1] [0.2]. */
  m3: number;
  /** Boundary policy ['reflect']. */
  boundary: CombinedBoundary;
};

/** Options `createMargin('combined', …)` accepts. */
export type CombinedOptions = MarginInput<CombinedOwnOptions>;

/**
 * The combined margin of the ArcFace paper (Eq. 4): t(θ) = cos(m1·θ + m2) − m3, with all
 * three margins applied at once (arcface_torch drops m2 and m1 whenever m3 > 0; this does
 * not). Defaults are the paper's CM1 (1, 0.3, 0.2). Past θ* = (π − m2)/m1:
 * - `none`: the formula as is (it grows again there);
 * - `reflect` (Keras_insightface `ArcfaceLoss`): 2(−1 − m3) − (cos(m1·θ + m2) − m3),
 *   continuous and monotone.
 *
 * @example
 * combined({ m1: 1, m2: 0.3, m3: 0.2 }).targetLogit(1); // cos(1.3) − 0.2
 */
export const combined = defineMargin<'combined', CombinedOwnOptions>({
  name: 'combined',
  defaults: { m1: 1, m2: 0.3, m3: 0.2, boundary: 'reflect' },
  validate(options) {
    checkNumberOption('combined', 'm1', options.m1, { min: 0, minExclusive: true, max: 2 });
    checkNumberOption('combined', 'm2', options.m2, { min: 0, max: Math.PI / 2 });
    checkNumberOption('combined', 'm3', options.m3, { min: 0, max: 1 });
    checkChoiceOption('combined', 'boundary', options.boundary, COMBINED_BOUNDARIES);
  },
  setup({ m1, m2, m3, boundary }) {
    const turn = (Math.PI - m2) / m1; // θ*, where m1·θ + m2 = π
    const reflects = boundary === 'reflect' && turn < Math.PI;
    const threshold = Math.cos(turn); // cos θ > threshold ⇔ θ < θ*
    const plainCos = m1 === 1;
    const cosM2 = Math.cos(m2);
    const sinM2 = Math.sin(m2);
    const reflect = (value: number) => 2 * (-1 - m3) - value;

    // cos(m1·θ + m2) and its derivative in c, for a tensor of cosines.
    const shiftedCos = (c: tf.Tensor): tf.Tensor =>
      plainCos
        ? tf.sub(tf.mul(c, cosM2), tf.mul(sinFromCos(c), sinM2)) // no acos needed when m1 = 1
        : tf.cos(tf.add(tf.mul(tf.acos(tf.clipByValue(c, -1, 1)), m1), m2));
    const shiftedSlope = (inner: tf.Tensor): tf.Tensor => {
      // d cos(m1·θ + m2)/dc = m1·sin(m1·θ + m2)/sin θ
      const theta = tf.acos(inner);
      return tf.div(tf.mul(tf.sin(tf.add(tf.mul(theta, m1), m2)), m1), sinFromCos(inner));
    };

    return {
      targetLogit(theta) {
        const value = Math.cos(m1 * theta + m2) - m3;
        return reflects && Math.cos(theta) <= threshold ? reflect(value) : value;
      },
      targetDerivative(c) {
        if (c <= -1 || c >= 1) return Number.NaN;
        const theta = Math.acos(c);
        const slope = (m1 * Math.sin(m1 * theta + m2)) / Math.sin(theta);
        return reflects && c <= threshold ? -slope : slope;
      },
      target(c) {
        return tf.tidy(() => {
          const value = tf.sub(shiftedCos(c), m3);
          if (!reflects) return value as tf.Tensor1D;
          return tf.where(tf.greater(c, threshold), value, tf.sub(2 * (-1 - m3), value)) as tf.Tensor1D;
        });
      },
      targetGradient(c) {
        return tf.tidy(() => {
          const slope = shiftedSlope(clampForGradient(c));
          if (!reflects) return slope as tf.Tensor1D;
          return tf.where(tf.greater(c, threshold), slope, tf.neg(slope)) as tf.Tensor1D;
        });
      },
      boundaries() {
        return turn < Math.PI ? [turn] : [];
      },
    };
  },
});


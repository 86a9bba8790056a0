import * as tf from '@tensorflow/tfjs-core';
import { ACOS_GRADIENT_EPSILON } from '@arcface/core';

/**
 * sin θ from c = cos θ as √((1 − c)(1 + c)), clamped at 0. The factored form is exact in
 * float32 where it matters: 1 − c has no rounding for c in [0.5, 1] and 1 + c none for c in
 * [−1, −0.5], so near θ = 0 and θ = π only the input's own rounding remains (1 − c² would add
 * one more, about 1e-7 absolute, which is 0.5% of sin² θ at θ = 0.25°).
 */
export function sinFromCos(c: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.relu(tf.mul(tf.sub(1, c), tf.add(1, c))));
}

/**
 * c clipped to [−1 + ε, 1 − ε] (ε = 1e-7, as `safeAcos`). Derivatives are evaluated at the
 * clipped point: dθ/dc = −1/sin θ is infinite at c = ±1, and at 1 − ε it is about −2236,
 * finite in float32, and equal to the true value wherever that exists.
 */
export function clampForGradient(c: tf.Tensor): tf.Tensor {
  return tf.clipByValue(c, -1 + ACOS_GRADIENT_EPSILON, 1 - ACOS_GRADIENT_EPSILON);
}

/** The float64 twin of {@link clampForGradient}. */
export function clampScalarForGradient(c: number): number {
  return Math.min(Math.max(c, -1 + ACOS_GRADIENT_EPSILON), 1 - ACOS_GRADIENT_EPSILON);
}

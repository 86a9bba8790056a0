import * as tf from '@tensorflow/tfjs-core';

/**
 * Smallest squared norm divided by, as `l2Normalize` in @arcface/core: x / max(‖x‖, 1e-12).
 */
const MIN_SQUARED_NORM = 1e-24;

/** Rows scaled to unit length, with what the closed-form backward pass needs. */
export interface NormalizedRows {
  /** x / max(‖x‖, 1e-12), [N, D]. */
  readonly unit: tf.Tensor2D;
  /** 1 / max(‖x‖, 1e-12), [N, 1]. */
  readonly inverseNorm: tf.Tensor2D;
  /** 1 where the norm was above the clamp (the projection term applies), else 0, [N, 1]. */
  readonly unclamped: tf.Tensor2D;
  /** ‖x‖, [N]. */
  readonly norm: tf.Tensor1D;
}

/** Normalises the rows of `x` [N, D] (no tidy: call inside one). */
export function normalizeRows(x: tf.Tensor2D): NormalizedRows {
  const squared = tf.sum(tf.square(x), 1, true);
  const inverseNorm = tf.rsqrt(tf.maximum(squared, MIN_SQUARED_NORM)) as tf.Tensor2D;
  return {
    unit: tf.mul(x, inverseNorm) as tf.Tensor2D,
    inverseNorm,
    unclamped: tf.cast(tf.greater(squared, MIN_SQUARED_NORM), 'float32') as tf.Tensor2D,
    norm: tf.sqrt(tf.reshape(squared, [-1])) as tf.Tensor1D,
  };
}

/**
 * The gradient with respect to x of a loss whose gradient with respect to x̂ = x/‖x‖ is `g`:
 * (g − x̂·(x̂·g)) / ‖x‖, the projection onto the tangent plane of the sphere. Where the norm was
 * clamped, x̂ = x/1e-12 is linear in x and the gradient is g/1e-12.
 */
export function normalizeRowsBackward(
  unit: tf.Tensor2D,
  inverseNorm: tf.Tensor2D,
  unclamped: tf.Tensor2D,
  g: tf.Tensor2D,
): tf.Tensor2D {
  const projection = tf.mul(tf.sum(tf.mul(unit, g), 1, true), unclamped);
  return tf.mul(tf.sub(g, tf.mul(unit, projection)), inverseNorm) as tf.Tensor2D;
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Smallest norm divided by. insightface's `F.normalize` uses 1e-12, which underflows to a
 * denormal in float32 when squared; we clamp the squared norm instead, at 1e-24 → 1e-12.
 */
const MIN_SQUARED_NORM = 1e-24;

/**
 * Scales every row (or the given axis) to unit L2 norm: x / max(‖x‖, 1e-12).
 *
 * @example
 * l2Normalize(tf.tensor2d([[3, 4]])) // [[0.6, 0.8]]
 */
export function l2Normalize<T extends tf.Tensor>(x: T, axis = -1): T {
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(x), axis, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squared, MIN_SQUARED_NORM))) as T;
  });
}

/** L2 norms along `axis` (kept as a column by default, for broadcasting back). */
export function l2Norm(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), axis, keepDims)));
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Σ over the leading axis of [S, ...] as a product with a row of ones, [1, S] · [S, K]:
 * tfjs' `sum` over a leading axis first transposes the whole tensor, a full memory pass.
 * Returns [K] with K the product of the other axes.
 */
export function sumLeading(x: tf.Tensor): tf.Tensor1D {
  const s = x.shape[0] as number;
  const k = x.size / s;
  if (s === 1) return tf.reshape(x, [k]);
  return tf.reshape(tf.matMul(tf.ones([1, s]), tf.reshape(x, [s, k])), [k]);
}

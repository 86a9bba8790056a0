import * as tf from '@tensorflow/tfjs-core';

/**
 * The cosine matrix x̂·Ŵᵀ [B, C] of unit rows x̂ [B, D] and Ŵ [C, D], asked of the backend as
 * a product with a transposed operand so that each backend picks its own best way: WebGPU,
 * WebGL and TensorFlow read the transposed operand in place; `@arcface/backend`'s wasm kernel
 * packs the smaller operand (stock tfjs wasm would run a scalar loop here).
 */
export function cosineMatrix(xUnit: tf.Tensor2D, wUnit: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(xUnit, wUnit, false, true) as tf.Tensor2D;
}

/** (row, label) pairs [B, 2], int32: where each row's target logit sits. */
export function targetIndices(labels: tf.Tensor1D): tf.Tensor2D {
  const rows = tf.range(0, labels.shape[0], 1, 'int32');
  return tf.stack([rows, tf.cast(labels, 'int32')], 1) as tf.Tensor2D;
}

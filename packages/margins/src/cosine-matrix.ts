import * as tf from '@tensorflow/tfjs-core';

/**
 * The cosine matrix x̂·Ŵᵀ [B, C] of unit rows x̂ [B, D] and Ŵ [C, D]. An explicit transpose
 * and a plain matMul: wasm's `transposeB` path leaves XNNPACK and is several times slower.
 */
export function cosineMatrix(xUnit: tf.Tensor2D, wUnit: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(xUnit, tf.transpose(wUnit)) as tf.Tensor2D;
}

/** (row, label) pairs [B, 2], int32: where each row's target logit sits. */
export function targetIndices(labels: tf.Tensor1D): tf.Tensor2D {
  const rows = tf.range(0, labels.shape[0], 1, 'int32');
  return tf.stack([rows, tf.cast(labels, 'int32')], 1) as tf.Tensor2D;
}

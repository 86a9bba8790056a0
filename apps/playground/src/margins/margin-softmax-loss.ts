// The page's margin-softmax loss, following the contract of @arcface/margins'
// marginSoftmaxLoss: normalise embeddings and centre rows, cosines, margin, mean cross-entropy.
import * as tf from '@tensorflow/tfjs-core';
import type { MarginContext, MarginFn } from '@arcface/margins';

/**
 * Mean softmax cross-entropy of the margin's logits. Centres are rows `[C, D]`.
 * log-sum-exp keeps it stable at s = 64.
 */
export function marginSoftmaxLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: MarginContext = {},
): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.div(embeddings, tf.add(tf.norm(embeddings, 'euclidean', 1, true), 1e-12));
    const w = tf.div(centers, tf.add(tf.norm(centers, 'euclidean', 1, true), 1e-12));
    const cosines = tf.clipByValue(tf.matMul(x, w, false, true), -1, 1) as tf.Tensor2D;
    const logits = margin.logits(cosines, labels, context);
    const mask = tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, centers.shape[0]), 'float32');
    const targetLogits = tf.sum(tf.mul(logits, mask), 1);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), targetLogits)) as tf.Scalar;
  });
}

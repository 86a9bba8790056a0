import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy of `logits` [B, C] against one-hot rows, and the log-sum-exp per
 * row (kept for the backward pass). Stable at s = 64, where logits reach ±64 and exp(64)
 * overflows float32's comfort: the row maximum is subtracted before exp.
 * No tidy: call inside one.
 */
export function crossEntropyForward(logits: tf.Tensor2D, onehot: tf.Tensor2D): { loss: tf.Scalar; logSumExp: tf.Tensor2D } {
  const rowMax = tf.max(logits, 1, true);
  const logSumExp = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, rowMax)), 1, true)), rowMax) as tf.Tensor2D;
  const targetLogits = tf.sum(tf.mul(logits, onehot), 1, true);
  return { loss: tf.mean(tf.sub(logSumExp, targetLogits)) as tf.Scalar, logSumExp };
}

/**
 * dL/dlogits of the mean cross-entropy, scaled by the upstream gradient `dy`:
 * (softmax(logits) − onehot) · dy / B. No tidy: call inside one.
 */
export function crossEntropyBackward(
  logits: tf.Tensor2D,
  logSumExp: tf.Tensor2D,
  onehot: tf.Tensor2D,
  dy: tf.Tensor,
): tf.Tensor2D {
  const probabilities = tf.exp(tf.sub(logits, logSumExp));
  return tf.mul(tf.sub(probabilities, onehot), tf.div(dy, logits.shape[0])) as tf.Tensor2D;
}

/**
 * Mean softmax cross-entropy of `logits` [B, C] against int32 `labels` [B], as one
 * `tf.customGrad` with the closed-form backward pass (no gradient registry needed).
 */
export function crossEntropyLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const classes = logits.shape[1];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const onehot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
    const { loss, logSumExp } = crossEntropyForward(z, onehot);
    save([z, logSumExp]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedLogits, savedLse] = saved as [tf.Tensor2D, tf.Tensor2D];
        const hot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
        return crossEntropyBackward(savedLogits, savedLse, hot, dy);
      },
    };
  });
  return op(logits) as tf.Scalar;
}

/**
 * Softmax cross-entropy when each row's target logit is already known ([B]): the loss and the
 * softmax probabilities, which are all the backward pass needs (dL/dlogits = (p − onehot)/B).
 * One softmax kernel (vectorised on wasm) replaces exp/sum/log chains; the log-sum-exp comes
 * from the row's largest probability, lse = max(z) − log(max(p)), which is at least 1/C and
 * so never underflows.
 */
export function crossEntropyWithTargets(logits: tf.Tensor2D, targetLogits: tf.Tensor1D): { loss: tf.Scalar; probabilities: tf.Tensor2D } {
  const probabilities = tf.softmax(logits) as tf.Tensor2D;
  const logSumExp = tf.sub(tf.max(logits, 1), tf.log(tf.max(probabilities, 1)));
  return { loss: tf.mean(tf.sub(logSumExp, targetLogits)) as tf.Scalar, probabilities };
}

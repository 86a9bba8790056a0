import * as tf from '@tensorflow/tfjs-core';

/** Smallest squared norm divided by, as `normalizeRows`: the gradient at x = 0 is 0, not NaN. */
const MIN_SQUARED_NORM = 1e-24;

/**
 * ‖x‖ of each row of `x` [B, D] → [B], as one `tf.customGrad` with its closed-form gradient
 * d‖x‖/dx = x̂ = x/‖x‖ (0 at x = 0), so no gradient registry is needed for it. This is the
 * `featureNorms` the losses hand to a margin: a margin whose logits depend on ‖x‖ (MagFace's
 * m(‖x‖), its regulariser) sends dL/d‖x‖ · x̂ back to the embeddings through it.
 * No tidy: call inside one.
 */
export function featureNorms(x: tf.Tensor2D): tf.Tensor1D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const squared = tf.sum(tf.square(a), 1, true);
    const inverseNorm = tf.rsqrt(tf.maximum(squared, MIN_SQUARED_NORM));
    save([a, inverseNorm]);
    return {
      value: tf.sqrt(tf.reshape(squared, [-1])),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [input, inverse] = saved as [tf.Tensor2D, tf.Tensor2D];
        return tf.mul(tf.mul(input, inverse), tf.reshape(dy, [-1, 1]));
      },
    };
  });
  return op(x) as tf.Tensor1D;
}

import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@arcface/core';
import { crossEntropyBackward, crossEntropyForward } from './cross-entropy';
import { checkLossInputs } from './loss-inputs';

/**
 * The plain softmax head, the baseline the margins improve on: logits = x·Wᵀ + b, mean
 * softmax cross-entropy against int32 `labels` [B]. Nothing is normalised. `weights` [C, D]
 * holds one row per class, as the centres of {@link marginSoftmaxLoss}; `bias` [C] is optional.
 * The backward pass is closed-form (no tfjs gradient registry needed).
 *
 * @example
 * const loss = softmaxLoss(embeddings, weights, labels, bias);
 */
export function softmaxLoss(
  embeddings: tf.Tensor2D,
  weights: tf.Tensor2D,
  labels: tf.Tensor1D,
  bias?: tf.Tensor1D,
  options: { readonly validate?: boolean } = {},
): tf.Scalar {
  checkLossInputs('softmaxLoss', embeddings, weights, labels, options.validate ?? true, 'weights');
  const classes = weights.shape[0];
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== classes)) {
    throw new ShapeMismatchError(`softmaxLoss: bias [${bias.shape}] does not fit weights [${weights.shape}]; expected [${classes}]`);
  }

  const forward = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined) => {
    // Explicit transpose: wasm's transposeB matMul is several times slower.
    const product = tf.matMul(x, tf.transpose(w));
    const logits = (b === undefined ? product : tf.add(product, b)) as tf.Tensor2D;
    const onehot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
    return { logits, onehot, ...crossEntropyForward(logits, onehot) };
  };
  const backward = (x: tf.Tensor2D, w: tf.Tensor2D, logits: tf.Tensor2D, logSumExp: tf.Tensor2D, dy: tf.Tensor) => {
    const onehot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
    const g = crossEntropyBackward(logits, logSumExp, onehot, dy);
    return { g, dx: tf.matMul(g, w), dw: tf.matMul(tf.transpose(g), x) };
  };

  if (bias === undefined) {
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
      const { logits, loss, logSumExp } = forward(x, w, undefined);
      save([x, w, logits, logSumExp]);
      return {
        value: loss,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw, sl, slse] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          const { dx, dw } = backward(sx, sw, sl, slse, dy);
          return [dx, dw];
        },
      };
    });
    return op(embeddings, weights) as tf.Scalar;
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const { logits, loss, logSumExp } = forward(x, w, b);
    save([x, w, logits, logSumExp]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sl, slse] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const { g, dx, dw } = backward(sx, sw, sl, slse, dy);
        return [dx, dw, tf.sum(g, 0)];
      },
    };
  });
  return op(embeddings, weights, bias) as tf.Scalar;
}

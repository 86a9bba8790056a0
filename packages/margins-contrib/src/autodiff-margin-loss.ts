import * as tf from '@tensorflow/tfjs-core';
import type { MarginContext, MarginFn } from '@arcface/margins';
import { ShapeMismatchError, l2Normalize } from '@arcface/core';
import { targetMask } from './tensor-ops';

/**
 * The margin softmax loss by plain tfjs autodiff, for margins whose gradient must also reach
 * the feature norms or whose logits have fewer columns than there are centre rows:
 *
 * - **MagFace**: m(‖x‖) depends on the norm, and the paper's optimum comes from the gradient
 *   through both the margin and the regulariser; here both reach x.
 * - **Sub-center ArcFace**: centres `[C·K, D]` give logits `[B, C]`; the cross-entropy runs
 *   over the logits' C columns.
 *
 * L = mean_b −log softmax(logits_b)[y_b] + regularizer, with
 * logits = margin.logits(x̂·Ŵᵀ, labels, { featureNorms: ‖x‖, … }). Needs tfjs' gradient
 * registry for `tf.grad` (load `@tensorflow/tfjs` or `@tensorflow/tfjs-layers`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { autodiffMarginLoss, subcenterArcFace } from '@arcface/margins-contrib';
 * const margin = subcenterArcFace({ k: 2 });
 * const x = tf.randomNormal([4, 8]) as tf.Tensor2D;
 * const centres = tf.randomNormal([3 * 2, 8]) as tf.Tensor2D; // 3 classes × 2 sub-centres
 * const loss = autodiffMarginLoss(x, centres, tf.tensor1d([0, 1, 2, 0], 'int32'), margin, { training: true });
 * console.log(loss.dataSync()[0]);
 * ```
 */
export function autodiffMarginLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: Omit<MarginContext, 'featureNorms'> = {},
): tf.Scalar {
  if (embeddings.rank !== 2 || centers.rank !== 2 || embeddings.shape[1] !== centers.shape[1]) {
    throw new ShapeMismatchError(
      `autodiffMarginLoss: embeddings [B, D] and centres [C, D] must share D, got [${embeddings.shape.join(', ')}] and [${centers.shape.join(', ')}]`,
    );
  }
  if (labels.rank !== 1 || labels.shape[0] !== embeddings.shape[0]) {
    throw new ShapeMismatchError(
      `autodiffMarginLoss: labels must be [${embeddings.shape[0]}], got [${labels.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const featureNorms = tf.sqrt(tf.sum(tf.square(embeddings), 1)) as tf.Tensor1D;
    const marginContext: MarginContext = { ...context, featureNorms };
    // An explicit transpose and a plain matMul: wasm's transposeB path is several times slower.
    const cosines = tf.matMul(l2Normalize(embeddings), tf.transpose(l2Normalize(centers))) as tf.Tensor2D;
    const logits = margin.logits(cosines, labels, marginContext);
    const mask = targetMask(labels, logits.shape[1]);
    // −log softmax at the target, through logSoftmax (max-shifted, stable at s = 64).
    const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(mask, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    const extra = margin.regularizer?.(marginContext);
    return extra === undefined ? crossEntropy : (tf.add(crossEntropy, extra) as tf.Scalar);
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs } from './loss-inputs';
import type { MarginLossContext } from './margin-softmax-loss';
import type { MarginFn } from './margin-fn';
import { featureNorms } from './feature-norms';
import { normalizeRows } from './row-normalization';

/**
 * The scaled logits [B, C] that {@link marginSoftmaxLoss} feeds to the cross-entropy: cosines
 * between L2-normalised embeddings [B, D] and centres [C, D], with the margin applied on each
 * row's target column. For evaluation and plots; differentiable by tfjs autodiff.
 *
 * @example
 * const logits = marginLogits(embeddings, centers, labels, createMargin('additive-cosine'));
 */
export function marginLogits(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: MarginLossContext = {},
): tf.Tensor2D {
  checkLossInputs('marginLogits', embeddings, centers, labels, context.validate ?? true);
  return tf.tidy(() => {
    const xs = normalizeRows(embeddings);
    const ws = normalizeRows(centers);
    const cosines = tf.matMul(xs.unit, tf.transpose(ws.unit)) as tf.Tensor2D;
    return margin.logits(cosines, labels, {
      step: context.step ?? 0,
      training: context.training ?? false,
      featureNorms: featureNorms(embeddings),
    });
  });
}

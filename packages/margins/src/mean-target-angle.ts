import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs } from './loss-inputs';
import { normalizeRows } from './row-normalization';

/**
 * The mean angle θ_y, in degrees, between each embedding [B, D] and its own class centre
 * [C, D] (rows), as arcface_torch logs it. Only the B target centres are gathered, so it costs
 * O(B·D) rather than the full cosine matrix. Returns a scalar tensor, to be read asynchronously.
 *
 * @example
 * const degrees = (await meanTargetAngle(embeddings, centers, labels).data())[0];
 */
export function meanTargetAngle(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: { readonly validate?: boolean } = {},
): tf.Scalar {
  checkLossInputs('meanTargetAngle', embeddings, centers, labels, options.validate ?? true);
  return tf.tidy(() => {
    const x = normalizeRows(embeddings).unit;
    const w = normalizeRows(tf.gather(centers, labels) as tf.Tensor2D).unit;
    const cosTarget = tf.clipByValue(tf.sum(tf.mul(x, w), 1), -1, 1);
    return tf.mul(tf.mean(tf.acos(cosTarget)), 180 / Math.PI) as tf.Scalar;
  });
}

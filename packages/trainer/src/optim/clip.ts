import * as tf from '@tensorflow/tfjs-core';

/**
 * The global L2 norm of a set of gradients, √Σ‖g‖², and the gradients scaled by
 * min(1, maxNorm/(norm + 1e-6)) as `torch.nn.utils.clip_grad_norm_` does. With no `maxNorm` the
 * gradients come back unchanged. Everything stays on the device (no read).
 *
 * @example
 * const { norm, clipped } = clipByGlobalNorm(grads, 5);
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm?: number): { norm: tf.Scalar; clipped: tf.Tensor[] } {
  return tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length > 0 ? tf.addN(squares) : tf.scalar(0)) as tf.Scalar;
    if (maxNorm === undefined) return { norm, clipped: grads.map((g) => tf.clone(g)) };
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return { norm, clipped: grads.map((g) => tf.mul(g, factor)) };
  });
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * dy of a reduction, reshaped to x's rank (reduced axes of size 1) and broadcast back over x
 * by a product with `onesLike(x)`: a fill on the device. tfjs-core 4.22's own `Mean` and `Sum`
 * gradients multiply by `ones(x.shape)`, an array of ones built in JavaScript memory, which
 * WebGPU then uploads through a fresh staging buffer, every step: 196 MB for each batch-norm
 * statistic over a [64, 112, 112, 64] activation (`tf.moments` takes two means per layer).
 */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[], scale: number): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  const reshaped = tf.reshape(dy, expanded);
  // Scale the small tensor before it is broadcast, not the large one after.
  const scaled = scale === 1 ? reshaped : tf.div(reshaped, scale);
  return tf.mul(scaled, tf.onesLike(tf.cast(x, 'float32')));
}

/** ∂ mean(x, axis)/∂x = dy / n broadcast over the reduced axes, n the number of reduced elements. */
export const meanGradient: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const axis = (attrs as unknown as { axis: number | number[] }).axis;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const n = axes.reduce((size, a) => size * (x.shape[a] as number), 1);
    return { x: () => broadcastBack(dy as tf.Tensor, x, axis, n) };
  },
};

/** ∂ sum(x, axis)/∂x = dy broadcast over the reduced axes. */
export const sumGradient: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const x = saved[0]!;
    const axis = (attrs as unknown as { axis: number | number[] }).axis;
    return { x: () => broadcastBack(dy as tf.Tensor, x, axis, 1) };
  },
};

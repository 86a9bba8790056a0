import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs a tiny convolution training step on the active backend, kernel by kernel (so no
 * gradient registry is needed): the forward conv, ∂W and ∂x, then a weight update, and
 * checks the numbers. With x = 1 and dy = 1 on a 5×5 'same' convolution the centre tap's
 * filter gradient is the pixel count, 25, and a corner tap's is 16 (4 × 4 pixels have a
 * neighbour there). Reads with `await data()`: `dataSync` fails on WebGPU in Node.
 * Throws with what went wrong.
 */
export async function probeBackend(): Promise<void> {
  const result = tf.tidy(() => {
    const x = tf.ones([2, 5, 5, 2]);
    const filter = tf.fill([3, 3, 2, 3], 0.5);
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
    const dy = tf.onesLike(y);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: [3, 3, 2, 3] }) as tf.Tensor;
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: [2, 5, 5, 2] }) as tf.Tensor;
    const updated = tf.sub(filter, tf.mul(tf.scalar(0.01), dw));
    return tf.stack([tf.sum(y), tf.sum(dx), tf.reshape(tf.slice(dw, [1, 1, 0, 0], [1, 1, 1, 1]), []), tf.reshape(tf.slice(dw, [0, 0, 0, 0], [1, 1, 1, 1]), []), tf.sum(updated)]);
  });
  const [ySum, dxSum, centre, corner, updatedSum] = Array.from(await result.data());
  result.dispose();
  // Σy: each output sees (taps inside the image) × 2 channels × 0.5. Along one axis of 5
  // pixels the taps inside are 2, 3, 3, 3, 2 (13 in all), so over 5×5 they sum to 13² = 169.
  const expected: Array<[string, number | undefined, number]> = [
    ['Σ conv2d', ySum, 2 * 3 * 169 * 2 * 0.5],
    ['Σ ∂x', dxSum, 2 * 2 * 169 * 3 * 0.5],
    ['∂W centre tap (per batch: 25 pixels)', centre, 2 * 25],
    ['∂W corner tap (per batch: 16 pixels)', corner, 2 * 16],
    ['Σ updated filter', updatedSum, 54 * 0.5 - 0.01 * 2 * 169 * 2 * 3],
  ];
  for (const [what, got, want] of expected) {
    if (got === undefined || !Number.isFinite(got) || Math.abs(got - want) > 1e-3 * Math.abs(want)) {
      throw new Error(`probe: ${what} is ${got}, expected ${want}`);
    }
  }
}

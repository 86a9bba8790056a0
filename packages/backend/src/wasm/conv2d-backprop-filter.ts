import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, padForTaps, tapWindow, type FilterGradientAttributes } from '../conv/conv-geometry';

/**
 * ∂L/∂W of a 2-D convolution as one matrix product per filter tap:
 *
 *   dW[i, j, :, :]ᵀ = dyᵀ [Cout, M] · X(i, j) [M, Cin],   M = N · outHeight · outWidth,
 *
 * where X(i, j) holds, for every output pixel, the input pixel tap (i, j) read
 * (a strided slice of the zero-padded input). Only plain (untransposed) products are used:
 * the wasm backend's matMul with a transposed operand leaves XNNPACK for a loop 10–30× slower.
 * Peak extra memory is one input-sized window, not the 9× of a full im2col.
 */
export function conv2dBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, false);
  return tf.tidy(() => {
    const m = info.batchSize * info.outHeight * info.outWidth;
    const dyT = tf.transpose(tf.reshape(dy, [m, cout])); // [Cout, M]: transposed once, reused by every tap
    const padded = padForTaps(x, info);
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const window = tapWindow(padded, info, i, j);
        const columns = tf.reshape(window, [m, cin]);
        taps.push(tf.matMul(dyT, columns));
        // Free each window at once: only one input-sized copy lives at a time.
        window.dispose();
        columns.dispose();
      }
    }
    const stacked = tf.reshape(tf.stack(taps), [kh, kw, cout, cin]);
    return tf.transpose(stacked, [0, 1, 3, 2]);
  });
}

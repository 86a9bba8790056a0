import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, padForTaps, tapWindow, type FilterGradientAttributes } from '../conv/conv-geometry';

/**
 * ∂L/∂W of a depthwise convolution, per filter tap (i, j):
 *
 *   dW[i, j, c, k] = Σ_m X(i, j)[m, c] · dy[m, c·q + k],   m over N · outHeight · outWidth,
 *
 * an element-wise product reduced over m. The reduction is a product with a row of ones
 * ([1, M] · [M, C·q]) rather than `sum` over leading axes, which the wasm backend would
 * implement by transposing the whole product first.
 */
export function depthwiseBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, channels, multiplier] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, true);
  return tf.tidy(() => {
    const m = info.batchSize * info.outHeight * info.outWidth;
    const gradients = tf.reshape(dy, [m, channels, multiplier]);
    const ones = tf.ones([1, m]);
    const padded = padForTaps(x, info);
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const window = tapWindow(padded, info, i, j);
        const product = tf.mul(tf.reshape(window, [m, channels, 1]), gradients);
        taps.push(tf.matMul(ones, tf.reshape(product, [m, channels * multiplier])));
        window.dispose();
        product.dispose();
      }
    }
    return tf.reshape(tf.concat(taps, 0), [kh, kw, channels, multiplier]);
  });
}

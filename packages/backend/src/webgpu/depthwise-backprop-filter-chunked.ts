import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, padForTaps, tapWindow, type FilterGradientAttributes } from '../conv/conv-geometry';
import { matMulTiles, rowChunks } from './row-chunks';
import { sumLeading } from './sum-chunks';

/**
 * ∂L/∂W of a depthwise convolution for GPU backends, per filter tap (i, j):
 *
 *   dW[i, j, c, k] = Σ_m X(i, j)[m, c] · dy[m, c·q + k],   m over M = N · outHeight · outWidth,
 *
 * an element-wise product reduced over m. The reduction runs over S chunks of M/S rows at
 * once (a batched product with a row of ones, [1, M/S] · [S, M/S, C·q], see
 * {@link rowChunks}), then over the S partial sums.
 *
 * tfjs-backend-webgpu 4.22's own kernel gives each of the kh·kw·C·q weights one thread that
 * loops over all M rows: 576 threads, each 200 704 steps long, for a 3×3 depthwise layer over
 * 64 channels at B 64, 56×56.
 */
export function depthwiseBackpropFilterChunked(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, channels, multiplier] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, true);
  return tf.tidy(() => {
    const m = info.batchSize * info.outHeight * info.outWidth;
    const s = rowChunks(m, matMulTiles(1, channels * multiplier));
    const rows = m / s;
    const gradients = tf.reshape(dy, [s, rows, channels, multiplier]);
    const ones = tf.ones([1, 1, rows]);
    const padded = padForTaps(x, info);
    const taps: tf.Tensor1D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const window = tapWindow(padded, info, i, j);
        const product = tf.mul(tf.reshape(window, [s, rows, channels, 1]), gradients);
        // [1, 1, M/S] broadcast over the S chunks: [S, 1, C·q] partial sums.
        const partial = tf.matMul(ones, tf.reshape(product, [s, rows, channels * multiplier]));
        taps.push(sumLeading(partial));
        window.dispose();
        product.dispose();
        partial.dispose();
      }
    }
    return tf.reshape(taps.length === 1 ? taps[0]! : tf.stack(taps), [kh, kw, channels, multiplier]);
  });
}

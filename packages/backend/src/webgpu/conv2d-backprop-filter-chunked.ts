import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, padForTaps, tapWindow, type FilterGradientAttributes } from '../conv/conv-geometry';
import { matMulTiles, rowChunks } from './row-chunks';
import { sumLeading } from './sum-chunks';

/**
 * ∂L/∂W of a 2-D convolution for GPU backends, per filter tap (i, j) a matrix product
 *
 *   dW[i, j, :, :] = X(i, j)ᵀ [Cin, M] · dy [M, Cout],   M = N · outHeight · outWidth,
 *
 * with X(i, j) the input pixels tap (i, j) met (a strided slice of the zero-padded input),
 * and M cut into S chunks (see {@link rowChunks}) computed as one batched product
 * [S, M/S, Cin]ᵀ · [S, M/S, Cout] whose S partial sums are then added.
 *
 * tfjs-backend-webgpu 4.22's own kernel gives each of the kh·kw·Cin·Cout filter weights one
 * GPU thread that loops over all M products: a few thousand threads each running a 200 000-step
 * serial loop on the first layers of a face network at B 64, 112×112. The transposed operand
 * costs nothing on the GPU (the matMul shader reads it transposed).
 */
export function conv2dBackpropFilterChunked(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, false);
  return tf.tidy(() => {
    const m = info.batchSize * info.outHeight * info.outWidth;
    const s = rowChunks(m, matMulTiles(cin, cout));
    const gradients = tf.reshape(dy, [s, m / s, cout]);
    const padded = padForTaps(x, info);
    const whole = kh === 1 && kw === 1 && padded.shape[1] === info.outHeight && padded.shape[2] === info.outWidth;
    const taps: tf.Tensor1D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        // A 1×1, stride-1 convolution reads the input as it is: no window copy.
        const window = whole ? padded : tapWindow(padded, info, i, j);
        const partial = tf.matMul(tf.reshape(window, [s, m / s, cin]), gradients, true, false);
        taps.push(sumLeading(partial));
        // Free each window at once: only one input-sized copy lives at a time.
        if (window !== padded) window.dispose();
        partial.dispose();
      }
    }
    return tf.reshape(taps.length === 1 ? taps[0]! : tf.stack(taps), [kh, kw, cin, cout]);
  });
}

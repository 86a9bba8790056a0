import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, type FilterGradientAttributes } from '../conv/conv-geometry';
import { batchChunks, sumOverChunks } from './batch-chunks';
import { checkGradientShape, firstTaps, gradientCorrelation, type GradientCorrelation } from './gradient-correlation';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/** Floats XNNPACK packs per filter tap and channel when a depthwise kernel has no direct micro-kernel (outputs per channel rounded up to 8). */
const PACKED_OUTPUTS = 8;

/**
 * Packed filter per chunk. At B 64, chunks whose packed dy is 12–50 MB ran MobileFaceNet's
 * large depthwise layers 20–40 % faster than the whole batch (100–400 MB) at once.
 */
const CACHE_BYTES = 16 * 2 ** 20;

/**
 * ∂L/∂W of a depthwise convolution (filter [kh, kw, C, q]) as one depthwise convolution:
 *
 *   dW[i, j, c, k] = Σ_{n, h, w} xp[n, h·s + i·d, w·s + j·d, c] · dy[n, h, w, c·q + k]
 *
 * is, for each image n and channel c, the correlation of x with dy used as the filter (see
 * {@link gradientCorrelation}). Folding the batch into the channels ([N, H, W, C] →
 * [1, H, W, N·C], one transpose of x and one of dy) makes it a single depthwise convolution on
 * XNNPACK, [1, H, W, N·C] ⋆ [outHeight, outWidth, N·C, q] → [1, kh, kw, N·C·q], whose N partial
 * results per channel are then summed.
 *
 * It replaces kh·kw strided window copies (a scalar C loop on wasm), products and reductions
 * with two transposes and one XNNPACK call per chunk of images. XNNPACK has no micro-kernel for
 * such a large filter and packs it with 8 outputs per channel; chunks of a few images keep that
 * copy cache-sized and the memory bounded (see {@link batchChunks}).
 */
export function depthwiseBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, channels, multiplier] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, true);
  checkGradientShape(tf.DepthwiseConv2dNativeBackpropFilter, dy.shape, info);
  const native = multiplier === 1 && x.dtype === 'float32' && dy.dtype === 'float32' ? nativeKernels(args.backend) : undefined;
  if (native !== undefined) {
    // Per tap and output row, one run of x·dy over the valid pixels, channels in registers:
    // no transposes and no XNNPACK convolution with dy packed as its filter.
    const out = (args.backend as unknown as WasmHeapBackend).makeOutput([...attrs.filterShape], 'float32');
    native.depthwiseFilterGradient({ x: heapAddress(args.backend, x), dy: heapAddress(args.backend, dy), dw: heapAddress(args.backend, out), info });
    return out;
  }
  const correlation = gradientCorrelation(info);
  const [batch, height, width] = x.shape;
  const xImage = height * width * channels;
  const dyImage = info.outHeight * info.outWidth * channels * multiplier;
  const packed = (dyImage / multiplier) * Math.ceil(multiplier / PACKED_OUTPUTS) * PACKED_OUTPUTS;
  const chunks = batchChunks(
    batch,
    { temporaries: 4 * (xImage + dyImage + packed), inputs: 4 * (xImage + dyImage), cached: 4 * packed },
    { largestInputBytes: 4 * batch * Math.max(xImage, dyImage), cacheBytes: CACHE_BYTES },
  );
  if (chunks.length === 0) return tf.zeros(attrs.filterShape);
  return tf.tidy(() => {
    const taps = sumOverChunks(chunks, [x, dy], ([xs, dys]) => chunkTaps(xs!, dys!, info, correlation));
    return tf.reshape(taps, [kh, kw, channels, multiplier]);
  });
}

/** Σ over the images of one chunk: [kh·kw, C·q]. */
function chunkTaps(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, correlation: GradientCorrelation): tf.Tensor2D {
  const [batch, height, width, channels] = x.shape;
  const outChannels = dy.shape[3];
  const taps = info.filterHeight * info.filterWidth;
  const input = tf.reshape(foldBatchIntoChannels(x), [1, height, width, batch * channels]) as tf.Tensor4D;
  const filter = tf.reshape(foldBatchIntoChannels(dy), [info.outHeight, info.outWidth, batch * channels, outChannels / channels]) as tf.Tensor4D;
  // Called as a kernel, not as tf.depthwiseConv2d: the op refuses a stride and a dilation both
  // above 1, which the swap produces from a forward pass that had both (XNNPACK takes them).
  const correlated = tf.engine().runKernel(
    tf.DepthwiseConv2dNative,
    { x: input, filter },
    { strides: correlation.strides, dilations: correlation.dilations, pad: correlation.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor4D;
  const perImage = tf.reshape(firstTaps(correlated, info.filterHeight, info.filterWidth), [taps, batch, outChannels]);
  return (batch === 1 ? tf.reshape(perImage, [taps, outChannels]) : tf.sum(perImage, 1)) as tf.Tensor2D;
}

/** [N, H, W, C] → [H, W, N, C] (N·C channels, image-major), through the 3-D transpose wasm does fastest. */
function foldBatchIntoChannels(t: tf.Tensor4D): tf.Tensor {
  const [batch, height, width, channels] = t.shape;
  if (batch === 1) return t;
  return tf.transpose(tf.reshape(t, [batch, height * width, channels]), [1, 0, 2]);
}

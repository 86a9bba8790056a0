import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, type FilterGradientAttributes } from '../conv/conv-geometry';
import { batchChunks, sumOverChunks } from './batch-chunks';
import { checkGradientShape, firstTaps, gradientCorrelation, type GradientCorrelation } from './gradient-correlation';
import type { WasmHeapBackend } from './fast-transpose';
import { isPointwise, pointwiseFilterGradient } from './pointwise-conv';
import { gemmScratchFloats, heapAddress, nativeKernels } from './native/native-kernels';

/** XNNPACK packs a convolution's output channels in groups of 8. */
const PACKED_OUTPUTS = 8;

/**
 * Packed filter (dy) per chunk: XNNPACK reads it back once per 4 output pixels (Cin·kh·kw / 4
 * times). At B 64, chunks of 16 images (3–6 MB of dy) ran iResNet's 3×3 layers 20–40 % faster
 * than the whole batch; chunks of 8 were slower again, the images being the convolution's input
 * channels, its inner loop.
 */
const CACHE_BYTES = 4 * 2 ** 20;
const FEWEST_IMAGES = 16;

/**
 * ∂L/∂W of a 2-D convolution as one convolution with the batch and the channels swapped:
 *
 *   dW[i, j, ci, co] = Σ_{n, h, w} xp[n, h·s + i·d, w·s + j·d, ci] · dy[n, h, w, co]
 *
 * is a convolution whose batch is x's Cin channels, whose input channels are the N images and
 * whose filter is dy: [Cin, H, W, N] ⋆ [outHeight, outWidth, N, Cout] → [Cin, kh, kw, Cout],
 * stride d, dilation s (see {@link gradientCorrelation}). One transpose of x and one of dy, then
 * a single XNNPACK convolution: the strided windows of the per-tap formulation (a full copy of
 * the input per tap on wasm, a scalar C loop when strided) are never made, and the padding is
 * XNNPACK's own.
 *
 * Where the native kernels run (see `native/kernels.c`), they take it instead: XNNPACK packs
 * the whole of dy as its filter on every call, which cost more than the multiplications
 * (B 16, 112×112, 64→64 3×3: 1326 → 479 ms; 56×56 1×1 64→128: 258 → 34 ms, two threads).
 */
export function conv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as FilterGradientAttributes;
  const x = asTensor<tf.Rank.R4>(args.inputs.x as tf.TensorInfo);
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const [kh, kw, , cout] = attrs.filterShape;
  const info = convGeometry(x.shape, attrs.filterShape, attrs, false);
  checkGradientShape(tf.Conv2DBackpropFilter, dy.shape, info);
  const native = x.dtype === 'float32' && dy.dtype === 'float32' ? nativeKernels(args.backend) : undefined;
  if (native !== undefined) {
    // xᵀ·dy per tap, read in place on the heap: nothing transposed; a 1×1 gradient packs dy.
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput([...attrs.filterShape], 'float32');
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const scratch = isPointwise(info) ? backend.makeOutput([gemmScratchFloats(pixels, cout)], 'float32') : undefined;
    try {
      native.conv2dFilterGradient({
        x: heapAddress(args.backend, x),
        dy: heapAddress(args.backend, dy),
        dw: heapAddress(args.backend, out),
        info,
        scratch: scratch === undefined ? 0 : heapAddress(args.backend, scratch),
      });
    } finally {
      if (scratch !== undefined) args.backend.disposeData(scratch.dataId);
    }
    return out;
  }
  if (isPointwise(info)) return pointwiseFilterGradient(x, dy, info, args.backend as unknown as WasmHeapBackend);
  const correlation = gradientCorrelation(info);
  const [batch, height, width, cin] = x.shape;
  const xImage = height * width * cin;
  const dyImage = info.outHeight * info.outWidth * cout;
  const packed = (dyImage / cout) * Math.ceil(cout / PACKED_OUTPUTS) * PACKED_OUTPUTS;
  const chunks = batchChunks(
    batch,
    { temporaries: 4 * (xImage + dyImage + packed), inputs: 4 * (xImage + dyImage), cached: 4 * packed },
    { largestInputBytes: 4 * batch * Math.max(xImage, dyImage), cacheBytes: CACHE_BYTES, fewestImages: FEWEST_IMAGES },
  );
  if (chunks.length === 0) return tf.zeros(attrs.filterShape);
  return tf.tidy(() => {
    const perChannel = sumOverChunks(chunks, [x, dy], ([xs, dys]) => chunkGradient(xs!, dys!, info, correlation));
    // [Cin, kh, kw, Cout] → [kh, kw, Cin, Cout]: a filter-sized transpose.
    return kh === 1 && kw === 1 ? tf.reshape(perChannel, attrs.filterShape) : tf.transpose(perChannel, [1, 2, 0, 3]);
  });
}

/** Σ over the images of one chunk: [Cin, kh, kw, Cout]. */
function chunkGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, correlation: GradientCorrelation): tf.Tensor4D {
  const [batch, height, width, cin] = x.shape;
  const cout = dy.shape[3];
  // [N, H, W, Cin] → [Cin, H, W, N] and [N, Ho, Wo, Cout] → [Ho, Wo, N, Cout], as 3-D transposes.
  const input = tf.reshape(tf.transpose(tf.reshape(x, [batch, height * width, cin]), [2, 1, 0]), [cin, height, width, batch]) as tf.Tensor4D;
  const filter = tf.reshape(
    batch === 1 ? dy : tf.transpose(tf.reshape(dy, [batch, info.outHeight * info.outWidth, cout]), [1, 0, 2]),
    [info.outHeight, info.outWidth, batch, cout],
  ) as tf.Tensor4D;
  // A kernel call, not tf.conv2d: the op refuses a stride and a dilation both above 1, which the
  // swap produces from a forward pass that had both (XNNPACK takes them).
  const correlated = tf.engine().runKernel(
    tf.Conv2D,
    { x: input, filter },
    { strides: correlation.strides, dilations: correlation.dilations, pad: correlation.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor4D;
  return firstTaps(correlated, info.filterHeight, info.filterWidth);
}

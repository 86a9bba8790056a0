import * as tf from '@tensorflow/tfjs-core';
import { spreadForTransposedConv } from '../conv/conv-geometry';
import { rowMajorStrides } from './strided-copy';
import { copyView, type WasmHeapBackend } from './fast-transpose';

/**
 * A 1×1 convolution without padding is a matrix product per pixel: y[p] = x[s·p] · W with W
 * [Cin, Cout]. Its gradients are then plain products too, with no correlation to set up:
 *
 *   dW = Σ_p x[s·p]ᵀ dy[p]   ([P, Cin]ᵀ · [P, Cout], one GEMM over the P = N·Ho·Wo pixels)
 *   dx[s·p] = dy[p] · Wᵀ     (zero between the strided pixels)
 *
 * On wasm that is XNNPACK's GEMM after one transpose, against the general filter gradient's
 * convolution with the batch as channels (two transposes, and a kernel as large as the image):
 * MobileFaceNet's 1×1 layers took ~3 s of a B 16 training step that way.
 */
export function isPointwise(info: tf.backend_util.Conv2DInfo): boolean {
  const pad = info.padInfo;
  return info.filterHeight === 1 && info.filterWidth === 1 && pad.top === 0 && pad.bottom === 0 && pad.left === 0 && pad.right === 0;
}

/** ∂L/∂W of a pointwise convolution, [1, 1, Cin, Cout]. */
export function pointwiseFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, backend: WasmHeapBackend): tf.Tensor4D {
  return tf.tidy(() => {
    const sampled = info.strideHeight === 1 && info.strideWidth === 1 ? x : subsample(x, info, backend);
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const product = tf.matMul(tf.reshape(sampled, [pixels, info.inChannels]), tf.reshape(dy, [pixels, info.outChannels]), true, false);
    return tf.reshape(product, [1, 1, info.inChannels, info.outChannels]);
  });
}

/** ∂L/∂x of a pointwise convolution, x's shape. */
export function pointwiseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    const product = tf.matMul(tf.reshape(dy, [pixels, info.outChannels]), tf.reshape(filter, [info.inChannels, info.outChannels]), false, true);
    const perPixel = tf.reshape(product, [info.batchSize, info.outHeight, info.outWidth, info.inChannels]) as tf.Tensor4D;
    // A 1×1 filter needs no correlation: only the zeros between strided pixels and, when the
    // forward pass left the last rows or columns unread, the zeros after them.
    return spreadForTransposedConv(perPixel, info);
  });
}

/**
 * The pixels a strided 1×1 convolution reads, x[:, s·i, s·j, :], as one strided copy on the
 * heap: rows of Cin values. The stock wasm `StridedSlice` took 735 ms for a [16, 112, 112, 64]
 * input that this copies in a few.
 */
function subsample(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, backend: WasmHeapBackend): tf.Tensor4D {
  const shape = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
  const [batchStride, rowStride, colStride] = rowMajorStrides(x.shape) as [number, number, number, number];
  const out = copyView(backend, x, 0, shape, [batchStride, rowStride * info.strideHeight, colStride * info.strideWidth, 1]);
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
}

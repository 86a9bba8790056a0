import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@arcface/core';

/**
 * A filter gradient is itself a convolution. With s the stride, d the dilation and xp the
 * zero-padded input,
 *
 *   dW[i, j] = Σ_{n, h, w} xp[n, h·s + i·d, w·s + j·d] · dy[n, h, w],
 *
 * which is a correlation of xp with dy used as the filter: dy's taps (h, w) lie s apart (the
 * correlation's dilation) and its outputs (i, j) lie d apart (its stride). Run as one XNNPACK
 * convolution, the windows are never copied (XNNPACK reads them through its indirection
 * buffer) and the forward padding becomes the correlation's own, applied without a padded copy.
 */
export interface GradientCorrelation {
  readonly strides: [number, number];
  readonly dilations: [number, number];
  /**
   * Explicit NHWC padding: the forward pass's top/left, and at the bottom/right what the last
   * taps need. When the forward pass left the last input rows or columns unread the correlation
   * yields more outputs than the filter has taps: only the first filterHeight × filterWidth count.
   */
  readonly pad: tf.backend_util.ExplicitPadding;
}

export function gradientCorrelation(info: tf.backend_util.Conv2DInfo): GradientCorrelation {
  return {
    strides: [info.dilationHeight, info.dilationWidth],
    dilations: [info.strideHeight, info.strideWidth],
    pad: [
      [0, 0],
      [info.padInfo.top, padAfter(info.inHeight, info.padInfo.top, info.filterHeight, info.outHeight, info.strideHeight, info.dilationHeight)],
      [info.padInfo.left, padAfter(info.inWidth, info.padInfo.left, info.filterWidth, info.outWidth, info.strideWidth, info.dilationWidth)],
      [0, 0],
    ],
  };
}

/** Zeros after the input along one axis, so that the last tap's last read exists. */
function padAfter(size: number, before: number, taps: number, outSize: number, stride: number, dilation: number): number {
  // Tap taps − 1 of output outSize − 1 reads padded index (taps − 1)·d + (outSize − 1)·s.
  return Math.max((taps - 1) * dilation + (outSize - 1) * stride + 1 - size - before, 0);
}

/** The first filterHeight × filterWidth outputs of a correlation that produced more (see {@link GradientCorrelation.pad}). */
export function firstTaps(taps: tf.Tensor4D, filterHeight: number, filterWidth: number): tf.Tensor4D {
  const [batch, rows, cols, channels] = taps.shape;
  if (rows === filterHeight && cols === filterWidth) return taps;
  return tf.slice(taps, [0, 0, 0, 0], [batch, filterHeight, filterWidth, channels]);
}

/** dy must be what the forward convolution of x produced: [N, outHeight, outWidth, outChannels]. */
export function checkGradientShape(kernel: string, dy: readonly number[], info: tf.backend_util.Conv2DInfo): void {
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.length !== 4 || dy.some((size, k) => size !== expected[k])) {
    throw new ShapeMismatchError(
      `${kernel}: dy has shape [${dy.join(', ')}], but the convolution of x [${info.batchSize}, ${info.inHeight}, ${info.inWidth}, ${info.inChannels}] ` +
        `with a ${info.filterHeight}×${info.filterWidth} filter gives [${expected.join(', ')}]`,
    );
  }
}

import * as tf from '@tensorflow/tfjs-core';
import { UnsupportedConvolutionError } from '../errors';

/** Attributes shared by the convolution backprop kernels (tfjs' names). */
export interface ConvAttributes {
  readonly strides: [number, number] | number;
  readonly pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dilations?: [number, number] | number;
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Attributes of the filter-gradient kernels (Conv2DBackpropFilter, its depthwise twin). */
export interface FilterGradientAttributes extends ConvAttributes {
  readonly filterShape: [number, number, number, number];
}

/** The geometry every kernel here works from: tfjs' own `computeConv2DInfo`, so padding agrees with the forward pass. */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttributes,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') {
    throw new UnsupportedConvolutionError(`dataFormat 'NCHW' is not supported by the training kernels of @arcface/backend (got shape [${xShape.join(', ')}]); use 'NHWC'`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/**
 * Pads (or crops) x so that, for every filter tap (i, j), the rows
 * i·d + ho·s for ho < outHeight exist (likewise columns): the window the forward
 * convolution read, with the forward pass's zero padding made explicit.
 */
export function padForTaps(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { padInfo, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const neededRows = (info.filterHeight - 1) * dilationHeight + (info.outHeight - 1) * strideHeight + 1;
  const neededCols = (info.filterWidth - 1) * dilationWidth + (info.outWidth - 1) * strideWidth + 1;
  const [n, h, w, c] = x.shape;
  const top = padInfo.top;
  const left = padInfo.left;
  const bottom = neededRows - h - top;
  const right = neededCols - w - left;
  // Negative amounts crop: 'valid' with a stride that leaves the last rows unread.
  const cropped = bottom < 0 || right < 0 ? tf.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c]) : x;
  if (top === 0 && left === 0 && bottom <= 0 && right <= 0) return cropped;
  return tf.pad(cropped, [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ]);
}

/** The input pixels filter tap (i, j) met, one per output pixel: [N, outHeight, outWidth, C]. */
export function tapWindow(padded: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, i: number, j: number): tf.Tensor4D {
  const [n, , , c] = padded.shape;
  const r0 = i * info.dilationHeight;
  const c0 = j * info.dilationWidth;
  if (info.strideHeight === 1 && info.strideWidth === 1) {
    return tf.slice(padded, [0, r0, c0, 0], [n, info.outHeight, info.outWidth, c]);
  }
  return tf.stridedSlice(
    padded,
    [0, r0, c0, 0],
    [n, r0 + (info.outHeight - 1) * info.strideHeight + 1, c0 + (info.outWidth - 1) * info.strideWidth + 1, c],
    [1, info.strideHeight, info.strideWidth, 1],
  ) as tf.Tensor4D;
}

/**
 * dy spread back onto the input grid for a transposed convolution: zeros between the rows
 * and columns of a strided output (s − 1 of them), then padded or cropped so that a stride-1
 * correlation with the flipped filter yields exactly inHeight × inWidth.
 *
 * With dyU[ho·s] = dy[ho], dx[h] = Σ_i dyU[h + top − i·d] · W[i]; substituting
 * i' = k − 1 − i turns it into a correlation over dyU shifted by (k − 1)·d − top.
 */
export function spreadForTransposedConv(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const [n, outH, outW, c] = dy.shape;
  const sH = info.strideHeight;
  const sW = info.strideWidth;
  let spread: tf.Tensor4D = dy;
  if (sH > 1 || sW > 1) {
    // Zero insertion by padding a 6-D view: [N, Ho, 1, Wo, 1, C] → [N, Ho, s, Wo, s, C].
    const six = tf.reshape(dy, [n, outH, 1, outW, 1, c]);
    const padded = tf.pad(six, [
      [0, 0],
      [0, 0],
      [0, sH - 1],
      [0, 0],
      [0, sW - 1],
      [0, 0],
    ]);
    spread = tf.reshape(padded, [n, outH * sH, outW * sW, c]);
  }
  const effH = (info.filterHeight - 1) * info.dilationHeight;
  const effW = (info.filterWidth - 1) * info.dilationWidth;
  const top = effH - info.padInfo.top;
  const left = effW - info.padInfo.left;
  const bottom = info.inHeight + effH - top - spread.shape[1];
  const right = info.inWidth + effW - left - spread.shape[2];
  return padOrCrop(spread, top, bottom, left, right);
}

function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(-top, 0);
  const cropLeft = Math.max(-left, 0);
  const cropBottom = Math.max(-bottom, 0);
  const cropRight = Math.max(-right, 0);
  let out = x;
  if (cropTop + cropLeft + cropBottom + cropRight > 0) {
    out = tf.slice(out, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  }
  const padTop = Math.max(top, 0);
  const padLeft = Math.max(left, 0);
  const padBottom = Math.max(bottom, 0);
  const padRight = Math.max(right, 0);
  if (padTop + padLeft + padBottom + padRight > 0) {
    out = tf.pad(out, [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ]);
  }
  return out;
}

/** A kernel's input as a Tensor: the engine passes Tensors, other kernels may pass bare TensorInfo. */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

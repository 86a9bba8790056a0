import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, spreadForTransposedConv, type ConvAttributes } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { phaseInputGradient } from './phase-input-gradient';
import { isPointwise, pointwiseInputGradient } from './pointwise-conv';

interface Conv2DBackpropInputAttributes extends ConvAttributes {
  readonly inputShape: [number, number, number, number];
}

/**
 * ∂L/∂x of a 2-D convolution as a forward convolution, so it runs on XNNPACK:
 * dy is spread onto the input grid (zeros between strided rows and columns), then
 * correlated at stride 1 with the filter rotated by 180° and its channel axes swapped,
 * W'[i, j, co, ci] = W[kh−1−i, kw−1−j, ci, co]. The stock wasm kernel for this is a scalar
 * loop about 10× slower than the forward convolution.
 */
export function conv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttributes;
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const filter = asTensor<tf.Rank.R4>(args.inputs.filter as tf.TensorInfo);
  const info = convGeometry(attrs.inputShape, filter.shape, attrs, false);
  if (isPointwise(info)) return pointwiseInputGradient(dy, filter, info);
  if ((info.strideHeight > 1 || info.strideWidth > 1) && info.dilationHeight === 1 && info.dilationWidth === 1) {
    return phaseInputGradient(dy, filter, info, args.backend as unknown as WasmHeapBackend);
  }
  return tf.tidy(() => {
    const spread = spreadForTransposedConv(dy, info);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(spread, rotated, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { asTensor, convGeometry, spreadForTransposedConv, type ConvAttributes } from '../conv/conv-geometry';

interface DepthwiseBackpropInputAttributes extends ConvAttributes {
  readonly inputShape: [number, number, number, number];
}

/**
 * ∂L/∂x of a depthwise convolution (filter [kh, kw, C, q], q the channel multiplier):
 * dy (C·q channels) is spread onto the input grid and correlated at stride 1 by a depthwise
 * convolution with the 180°-rotated filter, giving one map per (c, k); the q maps of each
 * input channel are then summed: dx[…, c] = Σ_k out[…, c·q + k].
 */
export function depthwiseBackpropInput(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs as unknown as DepthwiseBackpropInputAttributes;
  const dy = asTensor<tf.Rank.R4>(args.inputs.dy as tf.TensorInfo);
  const filter = asTensor<tf.Rank.R4>(args.inputs.filter as tf.TensorInfo);
  const [kh, kw, channels, multiplier] = filter.shape;
  const info = convGeometry(attrs.inputShape, filter.shape, attrs, true);
  return tf.tidy(() => {
    const spread = spreadForTransposedConv(dy, info);
    const rotated = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, channels * multiplier, 1]);
    const maps = tf.depthwiseConv2d(spread, rotated as tf.Tensor4D, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
    if (multiplier === 1) return maps;
    const [n, h, w] = attrs.inputShape;
    return tf.sum(tf.reshape(maps, [n, h, w, channels, multiplier]), -1);
  });
}

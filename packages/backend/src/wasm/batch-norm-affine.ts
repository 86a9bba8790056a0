import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';

/**
 * `FusedBatchNorm` for wasm as one multiply and one add: (x − μ)·γ/√(σ² + ε) + β =
 * x·k + (β − μ·k) with k = γ/√(σ² + ε) computed on the [C] statistics. The stock wasm kernel
 * is a scalar loop that took 40% of a MobileFaceNet inference at B 64 (1.7 of 4.4 s); the
 * broadcast multiply and add are vectorised. Statistics of any broadcastable shape work (a
 * full-size mean included), as in every other backend.
 */
export function batchNormAffine(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const input = (name: string) => (args.inputs[name] === undefined ? undefined : asTensor(args.inputs[name] as tf.TensorInfo));
  const x = input('x') as tf.Tensor;
  const mean = input('mean') as tf.Tensor;
  const variance = input('variance') as tf.Tensor;
  const scale = input('scale');
  const offset = input('offset');
  return tf.tidy(() => {
    const inverse = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const k = scale === undefined ? inverse : tf.mul(inverse, scale);
    const shift = tf.sub(offset ?? tf.scalar(0), tf.mul(mean, k));
    return tf.add(tf.mul(x, k), shift);
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * `FusedBatchNorm` for wasm as one multiply and one add: (x − μ)·γ/√(σ² + ε) + β =
 * x·k + (β − μ·k) with k = γ/√(σ² + ε) computed on the [C] statistics. The stock wasm kernel
 * is a scalar loop that took 40% of a MobileFaceNet inference at B 64 (1.7 of 4.4 s); the
 * broadcast multiply and add are vectorised. Statistics of any broadcastable shape work (a
 * full-size mean included), as in every other backend.
 */
export function batchNormAffine(args: { inputs: tf.NamedTensorInfoMap; backend?: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const input = (name: string) => (args.inputs[name] === undefined ? undefined : asTensor(args.inputs[name] as tf.TensorInfo));
  const x = input('x') as tf.Tensor;
  const mean = input('mean') as tf.Tensor;
  const variance = input('variance') as tf.Tensor;
  const scale = input('scale');
  const offset = input('offset');
  const coefficients = () => {
    const inverse = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const k = scale === undefined ? inverse : tf.mul(inverse, scale);
    return { k, shift: tf.sub(offset ?? tf.scalar(0), tf.mul(mean, k)) };
  };
  const channels = x.shape[x.rank - 1] ?? 1;
  const perChannel = [mean, variance, scale, offset].every((t) => t === undefined || (t.size === channels && t.shape[t.rank - 1] === channels));
  const native = x.dtype === 'float32' && perChannel && args.backend !== undefined ? nativeKernels(args.backend) : undefined;
  if (native !== undefined && args.backend !== undefined) {
    // One pass over x on the heap instead of a multiplication and an addition, each with an
    // activation-sized result.
    const backend = args.backend;
    const { k, shift } = tf.tidy(() => {
      const { k, shift } = coefficients();
      return { k: tf.reshape(k, [channels]), shift: tf.reshape(shift, [channels]) };
    });
    const out = (backend as unknown as WasmHeapBackend).makeOutput(x.shape.slice(), 'float32');
    native.channelAffine({
      x: heapAddress(backend, x),
      k: heapAddress(backend, k),
      shift: heapAddress(backend, shift),
      out: heapAddress(backend, out),
      rows: x.size / channels,
      cols: channels,
    });
    tf.dispose([k, shift]);
    return out;
  }
  return tf.tidy(() => {
    const { k, shift } = coefficients();
    return tf.add(tf.mul(x, k), shift);
  });
}

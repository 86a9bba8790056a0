import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * Name of the kernel that computes a training batch norm's whole backward pass for
 * channels-last x (statistics over every axis but the last). Inputs x, mean, variance, dy and
 * optionally scale (γ); attribute varianceEpsilon; outputs [∂x, ∂γ, ∂β]. `@arcface/backbones`
 * calls it where a backend registers it and otherwise composes the same formula from tfjs ops.
 */
export const BATCH_NORM_GRADIENT = 'ArcfaceBatchNormGradient';

/**
 * With x̂ = (x − μ)·r, r = 1/√(var + ε), k = γ·r, n values per channel, a = Σdy/n and
 * b = Σdy·x̂/n:  ∂x = k·(dy − a − x̂·b) = dy·k + x·p + q with p = −k·r·b and q = −k·a − p·μ;
 * ∂γ = Σdy·x̂ and ∂β = Σdy. Two passes over the activations on the native kernels (one
 * reading x and dy for both sums, one writing ∂x) where tfjs ops make about nine, each with a
 * full-size temporary.
 */
export function batchNormGradient(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const backend = args.backend;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const channels = x.shape[x.shape.length - 1] as number;
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const vector = (name: string) => (args.inputs[name] === undefined ? undefined : tf.reshape(asTensor(args.inputs[name] as tf.TensorInfo), [channels]));
  const native = x.dtype === 'float32' && dy.dtype === 'float32' ? nativeKernels(backend) : undefined;

  const [mean, variance, scale] = [vector('mean') as tf.Tensor1D, vector('variance') as tf.Tensor1D, vector('scale')];
  let sumDy: tf.Tensor1D;
  let sumDyCentred: tf.Tensor1D;
  if (native !== undefined) {
    const sums = (backend as unknown as WasmHeapBackend).makeOutput([2, channels], 'float32');
    native.batchNormGradientSums({ x: heapAddress(backend, x), mean: heapAddress(backend, mean), dy: heapAddress(backend, dy), sums: heapAddress(backend, sums), rows, cols: channels });
    const both = tf.engine().makeTensorFromTensorInfo(sums) as tf.Tensor2D;
    [sumDy, sumDyCentred] = tf.unstack(both) as [tf.Tensor1D, tf.Tensor1D];
    both.dispose();
  } else {
    [sumDy, sumDyCentred] = tf.tidy(() => {
      const xs = tf.reshape(asTensor(x), [rows, channels]);
      const dys = tf.reshape(asTensor(dy), [rows, channels]);
      return [tf.sum(dys, 0), tf.sum(tf.mul(dys, tf.sub(xs, mean)), 0)] as [tf.Tensor1D, tf.Tensor1D];
    });
  }
  const { k, p, q, dScale } = tf.tidy(() => {
    const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const k = scale === undefined ? r : tf.mul(scale, r);
    const dScale = tf.mul(sumDyCentred, r);
    const p = tf.neg(tf.mul(tf.mul(k, r), tf.div(dScale, rows)));
    const q = tf.sub(tf.neg(tf.mul(k, tf.div(sumDy, rows))), tf.mul(p, mean));
    return { k, p, q, dScale };
  });
  let dx: tf.TensorInfo;
  if (native !== undefined) {
    dx = (backend as unknown as WasmHeapBackend).makeOutput(x.shape.slice(), 'float32');
    native.batchNormGradientApply({
      x: heapAddress(backend, x),
      dy: heapAddress(backend, dy),
      k: heapAddress(backend, k),
      p: heapAddress(backend, p),
      q: heapAddress(backend, q),
      dx: heapAddress(backend, dx),
      rows,
      cols: channels,
    });
  } else {
    dx = tf.tidy(() => tf.add(tf.add(tf.mul(asTensor(dy), k), tf.mul(asTensor(x), p)), q));
  }
  tf.dispose([mean, variance, ...(scale ? [scale] : []), sumDyCentred, k, p, q]);
  return [dx, dScale, sumDy];
}

import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * Name of the kernel that normalises the rows of x [N, D] (float32) as `@arcface/margins` does
 * for embeddings and class centres: outputs unit = x / max(‖x‖, 1e-12) [N, D], inverse =
 * 1 / max(‖x‖, 1e-12) [N, 1], unclamped = (‖x‖ > 1e-12) as 0/1 [N, 1] and ‖x‖ [N]. No
 * gradient: the margin losses call it inside their own closed-form `customGrad`.
 */
export const ROW_NORMALIZE = 'ArcfaceRowNormalize';

/**
 * Name of the kernel for the gradient through that normalisation: inputs unit, inverse,
 * unclamped (the first three outputs above), dy (the gradient with respect to the unit rows)
 * and a scalar `scale`; output scale·inverse·(dy − unit·(unit·dy)·unclamped) [N, D].
 */
export const ROW_NORMALIZE_GRADIENT = 'ArcfaceRowNormalizeGradient';

/** Squared norms below this are clamped (‖x‖ ≥ 1e-12), as @arcface/core's l2Normalize. */
const MIN_SQUARED_NORM = 1e-24;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend };

/**
 * One pass per row on the native kernels (sum of squares in float64, then the scaling), where
 * tfjs ops make eight kernels, three of them over the whole matrix: at 100k class centres of
 * 512 each is a 200 MB pass.
 */
export function rowNormalize({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const [rows, cols] = x.shape as [number, number];
  const native = x.dtype === 'float32' ? nativeKernels(backend) : undefined;
  if (native === undefined) {
    return tf.tidy(() => {
      const squared = tf.sum(tf.square(asTensor(x)), 1, true);
      const inverse = tf.rsqrt(tf.maximum(squared, MIN_SQUARED_NORM));
      return [tf.mul(asTensor(x), inverse), inverse, tf.cast(tf.greater(squared, MIN_SQUARED_NORM), 'float32'), tf.sqrt(tf.reshape(squared, [-1]))];
    });
  }
  const heap = backend as unknown as WasmHeapBackend;
  const outputs = [heap.makeOutput([rows, cols], 'float32'), heap.makeOutput([rows, 1], 'float32'), heap.makeOutput([rows, 1], 'float32'), heap.makeOutput([rows], 'float32')];
  const [unit, inverse, unclamped, norm] = outputs.map((info) => heapAddress(backend, info)) as [number, number, number, number];
  native.rowNormalize({ x: heapAddress(backend, x), unit, inverse, unclamped, norm, rows, cols });
  return outputs;
}

/** The gradient in one pass per row (the dot product, then the projection and scaling). */
export function rowNormalizeGradient({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const [unit, inverse, unclamped, dy, scale] = ['unit', 'inverse', 'unclamped', 'dy', 'scale'].map((name) => inputs[name] as tf.TensorInfo) as [
    tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo,
  ];
  const [rows, cols] = unit.shape as [number, number];
  const allFloat = [unit, inverse, unclamped, dy, scale].every((t) => t.dtype === 'float32');
  const native = allFloat ? nativeKernels(backend) : undefined;
  if (native === undefined) {
    return tf.tidy(() => {
      const [u, g] = [asTensor(unit), asTensor(dy)];
      const projection = tf.mul(tf.sum(tf.mul(u, g), 1, true), asTensor(unclamped));
      return tf.mul(tf.sub(g, tf.mul(u, projection)), tf.mul(asTensor(inverse), asTensor(scale)));
    });
  }
  const dx = (backend as unknown as WasmHeapBackend).makeOutput([rows, cols], 'float32');
  native.rowNormalizeGradient({
    unit: heapAddress(backend, unit),
    inverse: heapAddress(backend, inverse),
    unclamped: heapAddress(backend, unclamped),
    g: heapAddress(backend, dy),
    scale: heapAddress(backend, scale),
    dx: heapAddress(backend, dx),
    rows,
    cols,
  });
  return dx;
}

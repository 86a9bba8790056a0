import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * Name of the kernel for a training batch norm's statistics of channels-last x: input x
 * (float32, any rank ≥ 2), output [2, C]: the mean and the biased variance over every axis but
 * the last. No gradient: `@arcface/backbones` calls it inside the op that differentiates the
 * normalisation in closed form.
 */
export const BATCH_MOMENTS = 'ArcfaceBatchMoments';

/**
 * One pass over x on the native kernels (Σx and Σx² per channel in float64) where tfjs makes
 * three (mean, squared difference, mean) and a full-size temporary.
 */
export function batchMoments({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const channels = x.shape[x.shape.length - 1] as number;
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  const native = x.dtype === 'float32' ? nativeKernels(backend) : undefined;
  if (native === undefined) {
    return tf.tidy(() => {
      const xs = tf.reshape(asTensor(x), [rows, channels]);
      const mean = tf.mean(xs, 0);
      return tf.stack([mean, tf.mean(tf.squaredDifference(xs, mean), 0)]);
    });
  }
  const out = (backend as unknown as WasmHeapBackend).makeOutput([2, channels], 'float32');
  native.columnMoments({ x: heapAddress(backend, x), out: heapAddress(backend, out), rows, cols: channels });
  return out;
}

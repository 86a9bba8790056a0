import type * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-webgpu 4.22 binds every input of `AddN` and `Concat` as its own storage buffer
 * and does not check the device's `maxStorageBuffersPerShaderStage`: past it (8 on Mesa's
 * llvmpipe, and the WebGPU default) the result is silently wrong — `addN` of 8 scalars 1…8
 * gave 84 or 0 instead of 36, a concat of 8 vectors zeros. Gradient clipping sums one square
 * per weight with `addN`. These wrappers run the stock kernel on groups of inputs that fit
 * (the output takes a buffer too), folding each group's result into the next, which is the
 * same sum or concatenation; inputs that fit go to the stock kernel untouched.
 */

interface LimitedBackend {
  device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
}

/** Inputs one kernel call may bind besides its output (Infinity where the backend states no limit). */
function inputLimit(backend: unknown): number {
  const buffers = (backend as LimitedBackend).device?.limits?.maxStorageBuffersPerShaderStage;
  return buffers === undefined ? Infinity : Math.max(2, buffers - 1);
}

function grouped(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const limit = inputLimit(args.backend);
    if (!Array.isArray(inputs) || inputs.length <= limit) return stock(args);
    const backend = args.backend as tf.KernelBackend;
    let partial: tf.TensorInfo | undefined;
    let next = 0;
    while (next < inputs.length) {
      const take = partial === undefined ? limit : limit - 1;
      const group = [...(partial === undefined ? [] : [partial]), ...inputs.slice(next, next + take)];
      next += take;
      const out = stock({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      if (partial !== undefined) backend.disposeData(partial.dataId);
      partial = out;
    }
    return partial as tf.TensorInfo;
  };
}

/** `AddN` that never binds more inputs than the device allows. */
export function makeBoundedAddN(stock: tf.KernelFunc): tf.KernelFunc {
  return grouped(stock);
}

/** `Concat` that never binds more inputs than the device allows. */
export function makeBoundedConcat(stock: tf.KernelFunc): tf.KernelFunc {
  return grouped(stock);
}

import type * as tf from '@tensorflow/tfjs-core';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * `Identity` for wasm that shares its input's heap data instead of copying it, as the cpu and
 * WebGL backends do (tensors are immutable; the backend counts references and frees the data
 * with the last one). The stock kernel copies, and tfjs clones through it every tensor a
 * `customGrad` saves for its backward pass: a margin head at C 100k copied its 200 MB of unit
 * class centres per step; training copies saved activations. Strings keep the stock kernel.
 */
export function makeSharedIdentity(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
}

import * as tf from '@tensorflow/tfjs-core';
import { copyView, type WasmHeapBackend } from './fast-transpose';
import { rowMajorStrides } from './strided-copy';

/**
 * `Slice` for wasm as one strided copy on the heap. The stock kernel first reads the whole
 * input out of the heap into JavaScript (`readSync` copies), whatever the slice's size: a
 * [1024, 512] block of a [100k, 512] matrix cost a 205 MB copy, and cropping the padding off a
 * [16, 114, 114, 64] gradient (every `ZeroPadding2D`'s backward pass) took 110 ms.
 */
export function makeFastSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const backend = args.backend as unknown as WasmHeapBackend;
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    const count = extent.reduce((n, d) => n * d, 1);
    if (count === 0 || (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool')) return original(args);
    const strides = rowMajorStrides(x.shape);
    return copyView(backend, x, start.reduce((sum, b, axis) => sum + b * (strides[axis] as number), 0), extent, strides);
  };
}

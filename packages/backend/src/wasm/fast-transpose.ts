import type * as tf from '@tensorflow/tfjs-core';
import { copyStrided, rowMajorStrides, simplifyView, type ElementView } from './strided-copy';

/** What the kernels here use of tfjs' wasm backend: outputs on its heap and views of them. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** A view of a tensor's heap bytes as whole elements, or undefined for a dtype not moved here. */
export function elementView(backend: WasmHeapBackend, info: tf.TensorInfo): ElementView | undefined {
  if (info.dtype !== 'float32' && info.dtype !== 'int32' && info.dtype !== 'bool') return undefined;
  const values = backend.typedArrayFromHeap(info);
  // Float32 bits move as Int32: copying through a float view could canonicalise NaN payloads.
  return info.dtype === 'bool'
    ? new Uint8Array(values.buffer, values.byteOffset, values.length)
    : new Int32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * A new tensor holding the view (`offset`, `shape`, `strides`, in elements) of x: one
 * {@link copyStrided} on the heap. x must be float32, int32 or bool.
 */
export function copyView(backend: WasmHeapBackend, x: tf.TensorInfo, offset: number, shape: number[], strides: readonly number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, x.dtype);
  if (shape.reduce((n, d) => n * d, 1) === 0) return out;
  // Views after makeOutput: growing the heap detaches views taken before.
  const target = elementView(backend, out) as ElementView;
  const source = elementView(backend, x) as ElementView;
  copyStrided(source, offset, shape, strides, target);
  return out;
}

/**
 * Whether the tiled copy beats the stock kernel: measured on wasm (2 threads), it is 1.5–3×
 * faster where, after merging axes, a 3-D or larger permutation moves the contiguous axis
 * away from the end ([16, 12996, 64] by [2, 1, 0]: 115 against 307 ms; the filter gradients'
 * transposes), and slower on plain 2-D transposes and on row copies, which the stock kernel
 * does well ([100000, 512]ᵀ: 86 against 430 ms).
 */
function tiledCopyPays(shape: readonly number[], perm: readonly number[]): boolean {
  const strides = rowMajorStrides(shape);
  const view = simplifyView(
    perm.map((axis) => shape[axis] as number),
    perm.map((axis) => strides[axis] as number),
  );
  return view.shape.length >= 3 && view.strides[view.strides.length - 1] !== 1;
}

/**
 * `Transpose` for wasm: the permutations the stock kernel walks element by element with
 * far-apart reads (see {@link tiledCopyPays}) as a cache-tiled copy on the wasm heap
 * ({@link copyStrided}); everything else, and dtypes other than float32, int32 and bool, by
 * the stock kernel.
 */
export function makeFastTranspose(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { perm } = args.attrs as unknown as { perm: number[] };
    const backend = args.backend as unknown as WasmHeapBackend;
    if ((x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') || !tiledCopyPays(x.shape, perm)) return original(args);
    const strides = rowMajorStrides(x.shape);
    return copyView(
      backend,
      x,
      0,
      perm.map((axis) => x.shape[axis] as number),
      perm.map((axis) => strides[axis] as number),
    );
  };
}

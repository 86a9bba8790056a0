import * as tf from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * The rows and columns when one operand is x [..., C] and the other s [..., 1] with the same
 * leading axes (each row of x scaled by its own factor), else undefined.
 */
function rowBroadcast(x: tf.TensorInfo, s: tf.TensorInfo): { rows: number; cols: number } | undefined {
  if (x.shape.length < 2 || x.shape.length !== s.shape.length || s.shape[s.shape.length - 1] !== 1) return undefined;
  const cols = x.shape[x.shape.length - 1] as number;
  if (cols < 4 || !x.shape.slice(0, -1).every((d, i) => d === s.shape[i])) return undefined;
  return { rows: tf.util.sizeFromShape(s.shape), cols };
}

/**
 * `Multiply` for wasm with the row-broadcast case, x [..., C] · s [..., 1], as one native pass:
 * the stock kernel broadcasts such an operand value by value (3.1 ms for [256, 512]·[256, 1],
 * ~24 ns a value), and every vector normalisation of the margin head makes one. Every other
 * case goes to the stock kernel.
 */
export function makeFastMultiply(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const [x, s] = rowBroadcast(a, b) !== undefined ? [a, b] : [b, a];
    const layout = rowBroadcast(x, s);
    const backend = args.backend as tf.KernelBackend;
    const native = layout === undefined ? undefined : nativeKernels(backend);
    if (native === undefined || layout === undefined) return stock(args);
    const out = (args.backend as unknown as WasmHeapBackend).makeOutput(x.shape.slice(), 'float32');
    native.rowScale({ x: heapAddress(backend, x), s: heapAddress(backend, s), out: heapAddress(backend, out), ...layout });
    return out;
  };
}

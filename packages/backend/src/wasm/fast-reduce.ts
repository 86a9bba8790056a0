import type * as tf from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/**
 * `Sum` and `Mean` for wasm over leading axes (batch-norm statistics and their gradients:
 * NHWC reduced over N, H and W) as one pass over rows on the heap, accumulated in float64.
 * The stock kernels first move the reduced axes to the end with their untiled transpose:
 * 14 ms for a [16, 28, 28, 128] activation, 156 ms for [16, 112, 112, 64]. A matrix–vector
 * product on XNNPACK is no way out: it repacks the activation as weights on every call,
 * ~30 ns per value. Other axes and dtypes keep the stock kernels.
 */
export function makeFastReduction(kind: 'sum' | 'mean', original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const reduced = new Set(util.parseAxisParam(axis, x.shape));
    const size = util.sizeFromShape(x.shape);
    // Leading: every reduced axis comes before every kept one (size-1 axes are free either way).
    const firstKept = x.shape.findIndex((d, a) => !reduced.has(a) && d !== 1);
    const leading = firstKept >= 0 && x.shape.every((d, a) => a < firstKept || !reduced.has(a) || d === 1);
    if (x.dtype !== 'float32' || size === 0 || !leading || firstKept === 0) return original(args);
    const rows = x.shape.slice(0, firstKept).reduce((n, d) => n * d, 1);
    const columns = size / rows;
    const outShape = keepDims ? x.shape.map((d, a) => (reduced.has(a) ? 1 : d)) : x.shape.filter((_, a) => !reduced.has(a));
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(outShape, 'float32');
    const native = nativeKernels(args.backend as tf.KernelBackend);
    if (native !== undefined) {
      const kernelBackend = args.backend as tf.KernelBackend;
      native.columnSums({ x: heapAddress(kernelBackend, x), out: heapAddress(kernelBackend, out), rows, cols: columns, divisor: kind === 'mean' ? rows : 1 });
      return out;
    }
    // Views after makeOutput: growing the heap detaches views taken before.
    const target = backend.typedArrayFromHeap(out) as Float32Array;
    const source = backend.typedArrayFromHeap(x) as Float32Array;
    columnSums(source, rows, columns, kind === 'mean' ? 1 / rows : 1, target);
    return out;
  };
}

/**
 * target[c] = scale · Σ_r source[r · columns + c], accumulated in float64. Four rows per pass
 * over the accumulators: their loads and stores, not the source's, bound the loop otherwise.
 */
function columnSums(source: Float32Array, rows: number, columns: number, scale: number, target: Float32Array): void {
  const sums = new Float64Array(columns);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const b0 = r * columns;
    const b1 = b0 + columns;
    const b2 = b1 + columns;
    const b3 = b2 + columns;
    for (let c = 0; c < columns; c++) {
      sums[c] = (sums[c] as number) + ((source[b0 + c] as number) + (source[b1 + c] as number) + ((source[b2 + c] as number) + (source[b3 + c] as number)));
    }
  }
  for (; r < rows; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) sums[c] = (sums[c] as number) + (source[base + c] as number);
  }
  for (let c = 0; c < columns; c++) target[c] = (sums[c] as number) * scale;
}

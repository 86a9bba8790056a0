import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { gemmScratchFloats, heapAddress, nativeKernels } from './native/native-kernels';

/** Swaps the last two axes. */
function transposeInner(x: tf.Tensor): tf.Tensor {
  const rank = x.rank;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tf.transpose(x, perm);
}

/**
 * For a·bᵀ with a [M, K] and b [N, K]: whether transposing and packing a (M·K) and then
 * transposing the [N, M] product (M·N) moves less memory than transposing and packing b (2·N·K).
 */
function packingSmallerOperandPays(aShape: readonly number[], bShape: readonly number[]): boolean {
  if (aShape.length !== 2 || bShape.length !== 2) return false;
  const [m, k] = aShape as [number, number];
  const n = bShape[0] as number;
  return 2 * m * k + m * n < 2 * n * k;
}

/**
 * XNNPACK packs a product's right operand [K, N] into column panels, reading it down its K
 * rows once per panel: for a large operand every one of those reads misses the cache and
 * the TLB (~40 ns per value; a fresh [100k, 512] class-centre matrix took ~2 s to pack, more
 * than twice the product). Panels of this many values stay cached while they are packed.
 */
const PACKED_PANEL_VALUES = 2 ** 21;

/** Rows of b per partial product when a·b is split along K, or undefined to leave it whole. */
function reductionChunk(k: number, n: number): number | undefined {
  if (k * n < 2 * PACKED_PANEL_VALUES) return undefined;
  const rows = Math.max(256, Math.floor(PACKED_PANEL_VALUES / n));
  return k >= 2 * rows ? rows : undefined;
}

/** a·b as Σ_j a[:, Kj]·b[Kj, :] over row blocks of b small enough to pack in cache (see {@link reductionChunk}). */
function productOverReductionChunks(a: tf.Tensor2D, b: tf.Tensor2D, rows: number): tf.Tensor2D {
  const [m, k] = a.shape;
  const n = b.shape[1];
  let sum: tf.Tensor | undefined;
  for (let start = 0; start < k; start += rows) {
    const size = Math.min(rows, k - start);
    const part = tf.matMul(tf.slice(a, [0, start], [m, size]), tf.slice(b, [start, 0], [size, n]));
    // Running sum, freeing as it goes: only one partial product is alive at a time.
    const next = sum === undefined ? part : tf.add(sum, part);
    if (sum !== undefined) tf.dispose([sum, part]);
    sum = next;
  }
  return sum as tf.Tensor2D;
}

/** Rows of a from which the native product packs b (each packed panel serves rows / 4 tiles). */
const PACK_MIN_ROWS = 16;

/** The product of the leading (batch) axes. */
function batchCount(x: tf.TensorInfo): number {
  return x.shape.slice(0, -2).reduce((n, d) => n * d, 1);
}

/**
 * A batched product as one 2-D product per batch entry. The stock kernel hands XNNPACK only a
 * single [M, K]·[K, N] product; with more than one batch entry it runs a scalar loop instead
 * (about as slow as its transposed path). Broadcasting over batch axes follows `tf.matMul`.
 */
function productPerBatch(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const count = outer.reduce((n, d) => n * d, 1);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1] as number;
  const a3 = tf.reshape(tf.broadcastTo(a, [...outer, m, k]), [count, m, k]);
  const b3 = tf.reshape(tf.broadcastTo(b, [...outer, k, n]), [count, k, n]);
  const bs = tf.unstack(b3);
  const products = tf.unstack(a3).map((ai, i) => tf.matMul(ai as tf.Tensor2D, bs[i] as tf.Tensor2D));
  return tf.reshape(tf.stack(products), [...outer, m, n]);
}

/**
 * a·b or aᵀ·b (batched, a batch of one broadcasting) with the native kernels, reading both
 * operands in place: no transpose of a, no packing of b. Undefined where they cannot serve
 * (not float32, bᵀ, batches that broadcast otherwise, no native kernels).
 */
function nativeProduct(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }, transposeA: boolean): tf.TensorInfo | undefined {
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const countA = batchCount(a);
  const countB = batchCount(b);
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameOuter && countA !== 1 && countB !== 1) return undefined;
  const native = nativeKernels(args.backend);
  if (native === undefined) return undefined;
  const [rowsA, colsA] = a.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [colsA, rowsA] : [rowsA, colsA];
  const n = b.shape[b.shape.length - 1] as number;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const backend = args.backend as unknown as WasmHeapBackend;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  // Packing b costs one pass over it and saves L1 misses on every row tile that reads it.
  const scratch = m >= PACK_MIN_ROWS && n >= 8 ? backend.makeOutput([gemmScratchFloats(k, n)], 'float32') : undefined;
  const [addressA, addressB, addressC] = [heapAddress(args.backend, a), heapAddress(args.backend, b), heapAddress(args.backend, out)];
  const addressScratch = scratch === undefined ? 0 : heapAddress(args.backend, scratch);
  try {
    for (let i = 0; i < Math.max(countA, countB); i++) {
      native.gemm({
        m,
        n,
        k,
        a: addressA + (countA === 1 ? 0 : 4 * i * m * k),
        ars: transposeA ? 1 : k,
        acs: transposeA ? m : 1,
        b: addressB + (countB === 1 ? 0 : 4 * i * k * n),
        ldb: n,
        c: addressC + 4 * i * m * n,
        ldc: n,
        accumulate: false,
        scratch: addressScratch,
      });
    }
  } finally {
    if (scratch !== undefined) args.backend.disposeData(scratch.dataId);
  }
  return out;
}

/**
 * A `BatchMatMul` for wasm that never asks XNNPACK for a transposed operand. With
 * `transposeA` or `transposeB` the stock kernel leaves XNNPACK's GEMM for a loop 10–30× slower
 * (3.4 against 42 GFLOP/s at 512×512×4096); an explicit transpose costs one memory pass and
 * the product then takes the fast path. Every `matMul` gradient and every cosine matrix
 * against row-stored class centres (`x · Wᵀ`) goes through here.
 */
export function makeFastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeB) {
      const product = nativeProduct(args as { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }, attrs.transposeA);
      if (product !== undefined) return product;
    }
    if (!attrs.transposeA && !attrs.transposeB) {
      const a = args.inputs.a as tf.TensorInfo;
      const b = args.inputs.b as tf.TensorInfo;
      if (batchCount(a) !== 1 || batchCount(b) !== 1) return tf.tidy(() => productPerBatch(asTensor(a), asTensor(b)));
      const rows = a.shape.length === 2 && b.shape.length === 2 ? reductionChunk(b.shape[0] as number, b.shape[1] as number) : undefined;
      // The chunks' products are small enough to re-enter this kernel and go to the original.
      return rows === undefined ? original(args) : tf.tidy(() => productOverReductionChunks(asTensor(a), asTensor(b), rows));
    }
    return tf.tidy(() => {
      const a = asTensor(args.inputs.a as tf.TensorInfo);
      const b = asTensor(args.inputs.b as tf.TensorInfo);
      if (!attrs.transposeA && packingSmallerOperandPays(a.shape, b.shape)) {
        // a·bᵀ = (b·aᵀ)ᵀ: XNNPACK packs its right operand on every call, so when bᵀ is the
        // large one (cosines against 100k class centres) pack aᵀ instead and transpose the
        // (smaller) product: 2× faster for [256, 512]·[512, 10k] (14.7 against 6.9 GFLOP/s).
        return transposeInner(tf.matMul(b, transposeInner(a)));
      }
      // The untransposed call re-enters this kernel and goes straight to the original.
      return tf.matMul(attrs.transposeA ? transposeInner(a) : a, attrs.transposeB ? transposeInner(b) : b);
    });
  };
}

/** The same fix for `_FusedMatMul` (dense layers with bias and activation). */
export function makeFastFusedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation: tf.fused.Activation;
      leakyreluAlpha?: number;
    };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    return tf.tidy(() => {
      const a = asTensor(args.inputs.a as tf.TensorInfo);
      const b = asTensor(args.inputs.b as tf.TensorInfo);
      const bias = args.inputs.bias === undefined ? undefined : asTensor(args.inputs.bias);
      const prelu = args.inputs.preluActivationWeights === undefined ? undefined : asTensor(args.inputs.preluActivationWeights);
      return tf.fused.matMul({
        a: attrs.transposeA ? transposeInner(a) : a,
        b: attrs.transposeB ? transposeInner(b) : b,
        ...(bias === undefined ? {} : { bias }),
        ...(prelu === undefined ? {} : { preluActivationWeights: prelu }),
        activation: attrs.activation,
        ...(attrs.leakyreluAlpha === undefined ? {} : { leakyreluAlpha: attrs.leakyreluAlpha }),
      });
    });
  };
}

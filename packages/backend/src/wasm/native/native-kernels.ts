import type * as tf from '@tensorflow/tfjs-core';
import { ColumnPool, type ExportedKernel } from './column-pool';
import { KERNELS_WASM_PLAIN, KERNELS_WASM_PLAIN_RELAXED, KERNELS_WASM_SHARED, KERNELS_WASM_SHARED_RELAXED } from './kernels-binary';

/**
 * The kernels of `native/kernels.c`, instantiated on the wasm backend's own memory so that
 * they read and write tensors in place on its heap (see that file for why they exist).
 */
export interface NativeKernels {
  /** Threads a call uses now (the caller and the ready workers). */
  readonly threads: number;
  /** Whether these kernels multiply-add with relaxed SIMD (fused where the CPU can). */
  readonly relaxedSimd: boolean;
  /**
   * c = a·b, or c += a·b with `accumulate`: c [m, n] with row stride ldc; a(i, k) at
   * a + (i·ars + k·acs) floats; b [k, n] with row stride ldb. Addresses are byte offsets on the
   * heap (see {@link heapAddress}). With `scratch` ({@link gemmScratchFloats} floats) b is
   * packed into panels first, which pays when a has more than a few rows.
   */
  gemm(call: GemmCall): void;
  /**
   * An NHWC convolution, out = prelu(conv(x, filter) + bias, slope) with bias and slope per
   * output channel (0: absent; a slope of 0 is ReLU); scratch holds the filter's size in floats.
   */
  conv2dForward(call: { x: number; filter: number; bias: number; slope: number; out: number; scratch: number; info: tf.backend_util.Conv2DInfo }): void;
  /** The filter gradient of an NHWC convolution, written to dw [kh, kw, cin, cout]. */
  conv2dFilterGradient(call: FilterGradientCall): void;
  /** The filter gradient of an NHWC depthwise convolution with channel multiplier 1, dw [kh, kw, ch]. */
  depthwiseFilterGradient(call: FilterGradientCall): void;
  /** out[r, c] = x[r, c]·k[c] + shift[c] over [rows, cols]. */
  channelAffine(call: { x: number; k: number; shift: number; out: number; rows: number; cols: number }): void;
  /** out[r, c] = x[r, c] > 0 ? dy[r, c] : dy[r, c]·alpha[c]. */
  preluInputGradient(call: { x: number; alpha: number; dy: number; out: number; rows: number; cols: number }): void;
  /** out[c] = Σ_r min(x[r, c], 0)·dy[r, c], summed in float64. */
  preluSlopeGradient(call: { x: number; dy: number; out: number; rows: number; cols: number }): void;
  /** sums [2, cols]: Σ_r dy[r, c] and Σ_r dy[r, c]·(x[r, c] − mean[c]), summed in float64. */
  batchNormGradientSums(call: { x: number; mean: number; dy: number; sums: number; rows: number; cols: number }): void;
  /** dx[r, c] = dy[r, c]·k[c] + x[r, c]·p[c] + q[c]. */
  batchNormGradientApply(call: { x: number; dy: number; k: number; p: number; q: number; dx: number; rows: number; cols: number }): void;
  /** out[c] = Σ_r x[r, c] / divisor (an integer: 1 for a sum, rows for a mean), summed in float64. */
  columnSums(call: { x: number; out: number; rows: number; cols: number; divisor: number }): void;
  /** out [2, cols]: each column's mean and biased variance, from float64 sums of x and x². */
  columnMoments(call: { x: number; out: number; rows: number; cols: number }): void;
  /**
   * Unit rows of x [rows, cols]: unit = x·inverse, inverse[r] = 1/√max(q, 1e-24), unclamped[r] =
   * (q > 1e-24), norm[r] = √q with q = Σ_c x[r, c]², summed in float64.
   */
  rowNormalize(call: { x: number; unit: number; inverse: number; unclamped: number; norm: number; rows: number; cols: number }): void;
  /** dx = scale·inverse[r]·(g − unit·(unit·g)·unclamped[r]) row by row; `scale` addresses one float. */
  rowNormalizeGradient(call: { unit: number; inverse: number; unclamped: number; g: number; scale: number; dx: number; rows: number; cols: number }): void;
}

export interface GemmCall {
  m: number;
  n: number;
  k: number;
  a: number;
  ars: number;
  acs: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  accumulate: boolean;
  /** Heap address of {@link gemmScratchFloats}(k, n) floats to pack b into, or 0 to read b in place. */
  scratch?: number;
}

/** Rows of the reduction per pass in `kernels.c` (KC there): packed panels hold this many. */
const REDUCTION_BLOCK = 256;

/** Floats of scratch a packing gemm of this k and n needs. */
export function gemmScratchFloats(k: number, n: number): number {
  return Math.min(k, REDUCTION_BLOCK) * n;
}

export interface FilterGradientCall {
  x: number;
  dy: number;
  dw: number;
  info: tf.backend_util.Conv2DInfo;
  /** A regular 1×1 gradient packs dy here ({@link gemmScratchFloats}(pixels, cout) floats), or 0: read in place. */
  scratch?: number;
}

const NAMES = [
  'gemm',
  'conv2d_filter_gradient',
  'depthwise_filter_gradient',
  'channel_affine',
  'prelu_input_gradient',
  'prelu_slope_gradient',
  'column_sums',
  'batch_norm_gradient_sums',
  'batch_norm_gradient_apply',
  'row_normalize',
  'row_normalize_gradient',
  'column_moments',
  'conv2d_forward',
] as const;

/** Multiply-adds below which a product stays on one thread (waking a worker costs ~50 µs). */
const PARALLEL_WORK = 2 ** 18;
/** Values below which a pass over a tensor stays on one thread. */
const PARALLEL_VALUES = 2 ** 16;
const GEMM = NAMES.indexOf('gemm');
const FILTER_GRADIENT = NAMES.indexOf('conv2d_filter_gradient');
const DEPTHWISE_FILTER_GRADIENT = NAMES.indexOf('depthwise_filter_gradient');
const CHANNEL_AFFINE = NAMES.indexOf('channel_affine');
const PRELU_INPUT_GRADIENT = NAMES.indexOf('prelu_input_gradient');
const PRELU_SLOPE_GRADIENT = NAMES.indexOf('prelu_slope_gradient');
const COLUMN_SUMS = NAMES.indexOf('column_sums');
const BATCH_NORM_GRADIENT_SUMS = NAMES.indexOf('batch_norm_gradient_sums');
const BATCH_NORM_GRADIENT_APPLY = NAMES.indexOf('batch_norm_gradient_apply');
const ROW_NORMALIZE = NAMES.indexOf('row_normalize');
const ROW_NORMALIZE_GRADIENT = NAMES.indexOf('row_normalize_gradient');
const COLUMN_MOMENTS = NAMES.indexOf('column_moments');
const CONV2D_FORWARD = NAMES.indexOf('conv2d_forward');

interface EmscriptenModule {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

interface HeapBackend {
  wasm?: EmscriptenModule;
  dataIdMap?: { get(dataId: object): { memoryOffset: number } | undefined };
}

const SETTINGS_KEY = Symbol.for('@arcface/backend/native-kernels');

/**
 * What the user set (shared by every copy of this package in the process, e.g. its ESM and CJS
 * builds). The holder is created only by the setters below: using the kernels adds nothing to
 * the process's globals.
 */
interface NativeSettings {
  /** Threads for heaps shared with a threaded build; absent: as many as the backend's XNNPACK. */
  threads?: number;
  /** Off: every caller takes its XNNPACK path (measurements, tests of both paths). */
  disabled: boolean;
  /** Whether to use the relaxed-SIMD build where the engine validates it. */
  relaxed: boolean;
}

const DEFAULTS: Readonly<NativeSettings> = { disabled: false, relaxed: true };

function settings(): Readonly<NativeSettings> {
  return (globalThis as unknown as Record<symbol, NativeSettings | undefined>)[SETTINGS_KEY] ?? DEFAULTS;
}

function writableSettings(): NativeSettings {
  const holder = globalThis as unknown as Record<symbol, NativeSettings | undefined>;
  holder[SETTINGS_KEY] ??= { ...DEFAULTS };
  return holder[SETTINGS_KEY];
}

/** Compiled modules by build, and the kernels (with their thread pool) by heap. */
const modules = new Map<string, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, Instantiated | null>();
/** Every heap with a live pool, so that pools can be closed with their backend. */
const pooled = new Map<WebAssembly.Memory, ColumnPool>();

interface Instantiated {
  readonly kernels: NativeKernels;
  readonly pool: ColumnPool;
}

/**
 * Threads the native kernels use on a shared (threaded-build) heap (default: as many as the
 * backend's XNNPACK pool); it applies to heaps the kernels first meet afterwards.
 */
export function setNativeKernelThreads(threads: number): void {
  const floored = Math.max(1, Math.floor(threads));
  if (floored !== settings().threads) writableSettings().threads = floored;
}

/** Turns the native kernels off (`false`) or back on; returns the previous setting. */
export function setNativeKernelsEnabled(enabled: boolean): boolean {
  const previous = !settings().disabled;
  if (previous !== enabled) writableSettings().disabled = !enabled;
  return previous;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * Whether the native kernels use relaxed SIMD's multiply-add (`true`, the default, where the
 * engine has it) or a separate multiply and add (`false`: the same results on every machine,
 * since relaxed_madd rounds once on CPUs with FMA and twice on others). Applies to heaps the
 * kernels first meet afterwards; returns the previous setting.
 */
export function setNativeKernelsRelaxedSimd(enabled: boolean): boolean {
  const previous = settings().relaxed;
  if (previous !== enabled) writableSettings().relaxed = enabled;
  return previous;
}

function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  try {
    // Synchronous: kernels run synchronously. Browsers refuse synchronous compilation of large
    // modules on the main thread; this one is ~25 KB, and a refusal only means XNNPACK paths.
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}

/**
 * Whether this engine validates relaxed SIMD as it is: Chrome 114+, Node 22+. Node 20 (V8 11.3)
 * has it only behind `--experimental-wasm-relaxed-simd`, which a library must not set (V8 flags
 * changed after start-up are unsupported, and they would hold for the whole process); there the
 * plain build runs unless the application started Node with the flag.
 */
export function engineValidatesRelaxedSimd(): boolean {
  return WebAssembly.validate(decode(KERNELS_WASM_PLAIN_RELAXED));
}

/** The kernel module for this memory kind, relaxed where wanted and validated, else plain. */
function compiled(shared: boolean, relaxed: boolean): { module: WebAssembly.Module; relaxed: boolean } | undefined {
  const key = `${shared ? 'shared' : 'plain'}${relaxed ? '-relaxed' : ''}`;
  if (!modules.has(key)) {
    if (relaxed) {
      const bytes = decode(shared ? KERNELS_WASM_SHARED_RELAXED : KERNELS_WASM_PLAIN_RELAXED);
      modules.set(key, WebAssembly.validate(bytes) ? compile(bytes) : null);
    } else {
      modules.set(key, compile(decode(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_PLAIN)));
    }
  }
  const module = modules.get(key);
  if (module) return { module, relaxed };
  return relaxed ? compiled(shared, false) : undefined;
}

/** The XNNPACK threads of a tfjs wasm backend (1 for the single-threaded builds). */
function backendThreads(backend: tf.KernelBackend): number {
  try {
    return (backend as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.() ?? 1;
  } catch {
    return 1;
  }
}

function backendMemory(backend: tf.KernelBackend): WebAssembly.Memory | undefined {
  const module = (backend as unknown as HeapBackend).wasm;
  return module?.wasmMemory ?? module?.asm?.memory;
}

/**
 * The native kernels on this wasm backend's heap, or undefined where they cannot run (not a
 * wasm backend, no WebAssembly SIMD, a refused compilation, or turned off): callers then
 * take their XNNPACK path.
 */
export function nativeKernels(backend: tf.KernelBackend): NativeKernels | undefined {
  const s = settings();
  if (s.disabled) return undefined;
  const memory = backendMemory(backend);
  if (memory === undefined) return undefined;
  const known = instances.get(memory);
  if (known !== undefined) return known?.kernels;
  const made = instantiate(memory, s.threads ?? backendThreads(backend), s.relaxed);
  instances.set(memory, made ?? null);
  if (made !== undefined && made.pool.workers > 0) pooled.set(memory, made.pool);
  return made?.kernels;
}

/**
 * Ends the worker threads of the native kernels on this backend's heap (all heaps without an
 * argument), so that the heap they share can be freed with its backend. The kernels are made
 * again, with new threads, if used afterwards. Runs when a wasm backend with the training
 * kernels is removed (`tf.removeBackend`) and when the kernels are unregistered.
 */
export function closeNativeKernels(backend?: tf.KernelBackend): void {
  const memory = backend === undefined ? undefined : backendMemory(backend);
  for (const [heap, pool] of [...pooled]) {
    if (memory !== undefined && heap !== memory) continue;
    pool.close();
    pooled.delete(heap);
    instances.delete(heap);
  }
}

/** Worker threads of the native kernels now alive, over every heap (tests, leak checks). */
export function nativeKernelWorkers(): number {
  let count = 0;
  for (const pool of pooled.values()) count += pool.workers;
  return count;
}

function instantiate(memory: WebAssembly.Memory, threads: number, relaxed: boolean): Instantiated | undefined {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const build = compiled(shared, relaxed);
  if (build === undefined) return undefined;
  const { module } = build;
  let exports: WebAssembly.Exports;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch {
    return undefined;
  }
  const local = NAMES.map((name) => exports[name] as ExportedKernel);
  const pool = ColumnPool.create(module, memory, NAMES, local, threads);
  const kernels: NativeKernels = {
    get threads() {
      return pool.threads;
    },
    relaxedSimd: build.relaxed,
    gemm(call) {
      if (call.m === 0 || call.n === 0) return;
      const args = [call.m, call.k, call.a, call.ars, call.acs, call.b, call.ldb, call.c, call.ldc, call.accumulate ? 1 : 0, call.scratch ?? 0];
      pool.run(GEMM, args, call.n, call.m * call.n * call.k >= PARALLEL_WORK);
    },
    conv2dForward({ x, filter, bias, slope, out, scratch, info }) {
      pool.run(CONV2D_FORWARD, [x, filter, bias, slope, out, scratch, ...geometry(info)], info.outChannels);
    },
    conv2dFilterGradient({ x, dy, dw, info, scratch }) {
      pool.run(FILTER_GRADIENT, [x, dy, dw, scratch ?? 0, ...geometry(info)], info.outChannels);
    },
    depthwiseFilterGradient({ x, dy, dw, info }) {
      const g = geometry(info);
      g.splice(6, 1); // no output-channel count: one output per channel (multiplier 1)
      pool.run(DEPTHWISE_FILTER_GRADIENT, [x, dy, dw, ...g], info.inChannels);
    },
    channelAffine({ x, k, shift, out, rows, cols }) {
      pool.run(CHANNEL_AFFINE, [x, k, shift, out, cols], rows, rows * cols >= PARALLEL_VALUES);
    },
    preluInputGradient({ x, alpha, dy, out, rows, cols }) {
      pool.run(PRELU_INPUT_GRADIENT, [x, alpha, dy, out, cols], rows, rows * cols >= PARALLEL_VALUES);
    },
    preluSlopeGradient({ x, dy, out, rows, cols }) {
      pool.run(PRELU_SLOPE_GRADIENT, [x, dy, out, rows, cols], cols, rows * cols >= PARALLEL_VALUES);
    },
    batchNormGradientSums({ x, mean, dy, sums, rows, cols }) {
      pool.run(BATCH_NORM_GRADIENT_SUMS, [x, mean, dy, sums, rows, cols], cols, rows * cols >= PARALLEL_VALUES);
    },
    batchNormGradientApply({ x, dy, k, p, q, dx, rows, cols }) {
      pool.run(BATCH_NORM_GRADIENT_APPLY, [x, dy, k, p, q, dx, cols], rows, rows * cols >= PARALLEL_VALUES);
    },
    columnSums({ x, out, rows, cols, divisor }) {
      pool.run(COLUMN_SUMS, [x, out, rows, cols, divisor], cols, rows * cols >= PARALLEL_VALUES);
    },
    rowNormalize({ x, unit, inverse, unclamped, norm, rows, cols }) {
      pool.run(ROW_NORMALIZE, [x, unit, inverse, unclamped, norm, cols], rows, rows * cols >= PARALLEL_VALUES);
    },
    columnMoments({ x, out, rows, cols }) {
      pool.run(COLUMN_MOMENTS, [x, out, rows, cols], cols, rows * cols >= PARALLEL_VALUES);
    },
    rowNormalizeGradient({ unit, inverse, unclamped, g, scale, dx, rows, cols }) {
      pool.run(ROW_NORMALIZE_GRADIENT, [unit, inverse, unclamped, g, scale, dx, cols], rows, rows * cols >= PARALLEL_VALUES);
    },
  };
  return { kernels, pool };
}

/**
 * A convolution's geometry in the kernels' argument order: batch, h, w, cin, oh, ow, cout, kh,
 * kw, strides, dilations, top and left padding.
 */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** The byte offset of a tensor's data on the wasm heap. */
export function heapAddress(backend: tf.KernelBackend, info: tf.TensorInfo): number {
  const entry = (backend as unknown as HeapBackend).dataIdMap?.get(info.dataId);
  if (entry === undefined) throw new Error('tensor data is not on this wasm backend');
  return entry.memoryOffset;
}

import * as tf from '@tensorflow/tfjs-core';
import { WasmBackendMissingError } from '../errors';
import { conv2dBackpropFilter } from './conv2d-backprop-filter';
import { conv2dBackpropInput } from './conv2d-backprop-input';
import { depthwiseBackpropFilter } from './depthwise-backprop-filter';
import { depthwiseBackpropInput } from './depthwise-backprop-input';
import { batchNormAffine } from './batch-norm-affine';
import { BATCH_NORM_GRADIENT, batchNormGradient } from './batch-norm-gradient';
import { BATCH_MOMENTS, batchMoments } from './batch-moments';
import { makeFastBatchMatMul, makeFastFusedMatMul } from './fast-mat-mul';
import { makeFastTranspose } from './fast-transpose';
import { makeFastReduction } from './fast-reduce';
import { makeFastSlice } from './fast-slice';
import { makeSharedIdentity } from './shared-identity';
import { makeNativeConv2D } from './native-conv2d';
import { ROW_NORMALIZE, ROW_NORMALIZE_GRADIENT, rowNormalize, rowNormalizeGradient } from './row-normalization';
import { PRELU_INPUT_GRADIENT, PRELU_SLOPE_GRADIENT, preluGradient, preluInputGradient, preluSlopeGradient } from './prelu-gradient';
import { closeNativeKernels } from './native/native-kernels';
import { ChangeJournal } from '../restore/change-journal';

export interface WasmTrainingKernelOptions {
  /**
   * Also replace stock wasm kernels that exist but are slow on the training path:
   * `Conv2DBackpropInput` (a scalar loop), `BatchMatMul` / `_FusedMatMul` with a
   * transposed operand or a batch, `FusedBatchNorm` (a scalar loop), `Transpose` (an
   * untiled loop), `Slice` (which copies its whole input out of the heap), `Identity` (which
   * copies: every tensor a `customGrad` saves goes through it), `Conv2D` / `FusedConv2D`
   * (XNNPACK without fused multiply-adds; wrong for unequal strides with one-sided padding), `Sum` / `Mean`
   * over outer axes (which transpose first), PReLU's gradient (seven kernels), and add
   * `ArcfaceBatchNormGradient` (batch norm's backward in two passes) and `ArcfaceBatchMoments`
   * (its batch statistics in one), used by `@arcface/backbones`, and `ArcfaceRowNormalize` /
   * `ArcfaceRowNormalizeGradient` (the margin losses' row normalisation, one pass each), used
   * by `@arcface/margins`. Default true.
   */
  readonly replaceSlowKernels?: boolean;
}

export interface WasmTrainingKernels {
  /** Kernel names now served by this package for the 'wasm' backend. */
  readonly kernels: readonly string[];
  /**
   * Puts back the kernels and the PReLU gradient that were registered before (the same config
   * objects), removes the added ones, and ends the native kernels' worker threads.
   */
  unregister(): void;
}

const BACKEND = 'wasm';
const STATE_KEY = Symbol.for('@arcface/backend/wasm-training-kernels');

interface RegistryState {
  active?: WasmTrainingKernels;
}

function state(): RegistryState | undefined {
  return (globalThis as unknown as Record<symbol, RegistryState | undefined>)[STATE_KEY];
}

/** The registration in effect, if any (internal: lets selectBackend leave a user's own in place). */
export function activeWasmTrainingKernels(): WasmTrainingKernels | undefined {
  return state()?.active;
}

function setState(value: RegistryState): void {
  (globalThis as unknown as Record<symbol, RegistryState | undefined>)[STATE_KEY] = value;
}

/** Forgets the registration, and the global holder with it: nothing of this package stays on globalThis. */
function clearState(): void {
  delete (globalThis as unknown as Record<symbol, RegistryState | undefined>)[STATE_KEY];
}

const MISSING: ReadonlyArray<[string, tf.KernelFunc]> = [
  [tf.Conv2DBackpropFilter, conv2dBackpropFilter as tf.KernelFunc],
  [tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput as tf.KernelFunc],
  [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter as tf.KernelFunc],
];

/**
 * Makes the wasm backend able to train convolutional networks: registers the gradient
 * kernels that `@tensorflow/tfjs-backend-wasm` 4.22 lacks (`Conv2DBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropInput`, `DepthwiseConv2dNativeBackpropFilter`), built from
 * its XNNPACK convolutions and matrix products, and (by default) replaces the slow
 * `Conv2DBackpropInput` and transposed-operand `BatchMatMul` / `_FusedMatMul`.
 *
 * Call it once, after importing `@tensorflow/tfjs-backend-wasm`; nothing is registered at
 * import time. A second call returns the first registration.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { registerWasmTrainingKernels } from '@arcface/backend';
 * const kernels = registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 * // … train …
 * kernels.unregister();
 * ```
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): WasmTrainingKernels {
  const current = state();
  if (current?.active !== undefined) return current.active;
  const replaceSlow = options.replaceSlowKernels ?? true;

  const batchMatMul = tf.getKernel(tf.BatchMatMul, BACKEND);
  if (batchMatMul === undefined) throw new WasmBackendMissingError(tf.BatchMatMul);

  const plan: Array<[string, tf.KernelFunc]> = [...MISSING];
  // A replacement that wraps the stock kernel (for the cases it leaves to it), when there is one.
  const wrapStock = (kernelName: string, wrap: (stock: tf.KernelFunc) => tf.KernelFunc) => {
    const stock = tf.getKernel(kernelName, BACKEND);
    if (stock !== undefined) plan.push([kernelName, wrap(stock.kernelFunc)]);
  };
  if (replaceSlow) {
    plan.push([tf.BatchMatMul, makeFastBatchMatMul(batchMatMul.kernelFunc)]);
    wrapStock(tf._FusedMatMul, makeFastFusedMatMul);
    plan.push([tf.Conv2DBackpropInput, conv2dBackpropInput as tf.KernelFunc]);
    plan.push([tf.FusedBatchNorm, batchNormAffine as tf.KernelFunc]);
    wrapStock(tf.Transpose, makeFastTranspose);
    plan.push([PRELU_INPUT_GRADIENT, preluInputGradient as unknown as tf.KernelFunc]);
    plan.push([PRELU_SLOPE_GRADIENT, preluSlopeGradient as unknown as tf.KernelFunc]);
    wrapStock(tf.Slice, makeFastSlice);
    wrapStock(tf.Identity, makeSharedIdentity);
    wrapStock(tf.Conv2D, makeNativeConv2D);
    wrapStock(tf.FusedConv2D, makeNativeConv2D);
    wrapStock(tf.Sum, (stock) => makeFastReduction('sum', stock));
    wrapStock(tf.Mean, (stock) => makeFastReduction('mean', stock));
    plan.push([BATCH_NORM_GRADIENT, batchNormGradient as unknown as tf.KernelFunc]);
    plan.push([BATCH_MOMENTS, batchMoments as unknown as tf.KernelFunc]);
    plan.push([ROW_NORMALIZE, rowNormalize as unknown as tf.KernelFunc]);
    plan.push([ROW_NORMALIZE_GRADIENT, rowNormalizeGradient as unknown as tf.KernelFunc]);
  }

  const journal = new ChangeJournal();
  for (const [kernelName, kernelFunc] of plan) {
    const existing = tf.getKernel(kernelName, BACKEND);
    // A replaced kernel keeps its setup: the stock wasm kernels bind their C entry points there.
    const disposeFunc =
      kernelName === tf.Conv2DBackpropFilter ? closeWithBackend(existing?.disposeFunc) : existing?.disposeFunc;
    journal.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc,
      ...(existing?.setupFunc === undefined ? {} : { setupFunc: existing.setupFunc }),
      ...(disposeFunc === undefined ? {} : { disposeFunc }),
    });
  }

  // PReLU's gradient (global in tfjs) runs the two kernels above on wasm and tfjs' formula
  // elsewhere. Importing tfjs-layers (or anything that registers all gradients) afterwards
  // puts the stock gradient back: correct, only slower.
  if (replaceSlow) journal.registerGradient(preluGradient);

  const registration: WasmTrainingKernels = {
    kernels: plan.map(([name]) => name),
    unregister() {
      if (state()?.active !== registration) return;
      clearState();
      try {
        journal.undo();
      } finally {
        closeNativeKernels();
      }
    },
  };
  setState({ active: registration });
  return registration;
}

/**
 * A kernel `disposeFunc` (tfjs calls it when the backend is removed, before disposing it) that
 * also ends the native kernels' threads on that backend's heap: they hold the heap, up to 4 GB,
 * which would otherwise outlive its backend.
 */
function closeWithBackend(existing: tf.KernelDisposeFunc | undefined): tf.KernelDisposeFunc {
  return (backend) => {
    closeNativeKernels(backend as tf.KernelBackend);
    existing?.(backend);
  };
}

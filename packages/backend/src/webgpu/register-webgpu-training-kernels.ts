import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, type ConvAttributes } from '../conv/conv-geometry';
import { conv2dBackpropFilterChunked } from './conv2d-backprop-filter-chunked';
import { depthwiseBackpropFilterChunked } from './depthwise-backprop-filter-chunked';
import { meanGradient, sumGradient } from './device-reduction-gradients';
import { makeBoundedAddN, makeBoundedConcat } from './bounded-inputs';
import { ChangeJournal } from '../restore/change-journal';

export interface WebgpuTrainingKernelOptions {
  /**
   * The backend to serve (default 'webgpu'). The kernels are built from plain tfjs ops, so
   * they run on any backend: another name lets them be checked against cpu or wasm.
   */
  readonly backendName?: string;
  /**
   * Depthwise layers whose gradient reduces over fewer rows (N · outHeight · outWidth) than
   * this keep the backend's own kernel (default 4096): there the one-thread-per-weight loop
   * is short, and the global depthwise conv's 7×7 window would cost 49 × 3 small launches.
   */
  readonly depthwiseMinRows?: number;
  /**
   * Also replace tfjs' `Mean` and `Sum` gradients (default true), which build an array of ones
   * of the input's size in JavaScript memory on every backward pass: WebGPU uploads it, about
   * 2 GB per MobileFaceNet step at B 64, 112×112. The replacements broadcast on the device.
   * Gradients are global in tfjs (all backends); they must be registered after tfjs' own
   * (`@tensorflow/tfjs-layers` or `@tensorflow/tfjs` loaded), which would otherwise replace them.
   */
  readonly reductionGradients?: boolean;
}

export interface WebgpuTrainingKernels {
  /** The backend the kernels serve. */
  readonly backendName: string;
  /** Kernel names now served by this package for that backend. */
  readonly kernels: readonly string[];
  /** Kernels whose gradient this package replaced (for every backend). */
  readonly gradients: readonly string[];
  /** Puts back the kernels and gradients that were registered before (the same config objects), or removes the added ones. */
  unregister(): void;
}

const STATE_KEY = Symbol.for('@arcface/backend/webgpu-training-kernels');

type Holder = Record<symbol, Map<string, WebgpuTrainingKernels> | undefined>;

/** Registrations by backend; the global holder exists only while one is active. */
function registry(): Map<string, WebgpuTrainingKernels> {
  const holder = globalThis as unknown as Holder;
  holder[STATE_KEY] ??= new Map();
  return holder[STATE_KEY];
}

/** The registration in effect for a backend, if any (internal: lets selectBackend leave a user's own in place). */
export function activeWebgpuTrainingKernels(backendName: string): WebgpuTrainingKernels | undefined {
  return (globalThis as unknown as Holder)[STATE_KEY]?.get(backendName);
}

function forget(backendName: string): void {
  const holder = globalThis as unknown as Holder;
  holder[STATE_KEY]?.delete(backendName);
  if (holder[STATE_KEY]?.size === 0) delete holder[STATE_KEY];
}

function depthwiseWithFallback(original: tf.KernelFunc | undefined, minRows: number): tf.KernelFunc {
  return (args) => {
    if (original !== undefined) {
      const attrs = args.attrs as unknown as ConvAttributes & { filterShape: [number, number, number, number] };
      const info = convGeometry((args.inputs.x as tf.TensorInfo).shape, attrs.filterShape, attrs, true);
      if (info.batchSize * info.outHeight * info.outWidth < minRows) return original(args);
    }
    return depthwiseBackpropFilterChunked(args);
  };
}

/**
 * Makes training on WebGPU fast: replaces the two filter-gradient kernels of
 * `@tensorflow/tfjs-backend-webgpu` 4.22, `Conv2DBackpropFilter` and
 * `DepthwiseConv2dNativeBackpropFilter`, which give each filter weight one GPU thread looping
 * over every output pixel of the batch (a few thousand threads, each 10⁵–10⁶ steps long, on
 * a face network's first layers), with per-tap matrix products whose long reduction is cut
 * into chunks run side by side (a batched `matMul`, then a sum of the partial results).
 *
 * `selectBackend` calls it when it picks webgpu. Nothing is registered at import time; a
 * second call for the same backend returns the first registration.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-webgpu';
 * import { registerWebgpuTrainingKernels } from '@arcface/backend';
 * const kernels = registerWebgpuTrainingKernels();
 * await tf.setBackend('webgpu');
 * // … train …
 * kernels.unregister();
 * ```
 */
export function registerWebgpuTrainingKernels(options: WebgpuTrainingKernelOptions = {}): WebgpuTrainingKernels {
  const backendName = options.backendName ?? 'webgpu';
  const existingRegistration = (globalThis as unknown as Holder)[STATE_KEY]?.get(backendName);
  if (existingRegistration !== undefined) return existingRegistration;

  const depthwiseOriginal = tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, backendName)?.kernelFunc;
  const plan: Array<[string, tf.KernelFunc]> = [
    [tf.Conv2DBackpropFilter, conv2dBackpropFilterChunked as tf.KernelFunc],
    [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseWithFallback(depthwiseOriginal, options.depthwiseMinRows ?? 4096)],
  ];
  // AddN and Concat with more inputs than the device binds (wrong in tfjs-backend-webgpu 4.22).
  for (const [kernelName, wrap] of [
    [tf.AddN, makeBoundedAddN],
    [tf.Concat, makeBoundedConcat],
  ] as const) {
    const stock = tf.getKernel(kernelName, backendName);
    if (stock !== undefined) plan.push([kernelName, wrap(stock.kernelFunc)]);
  }

  const journal = new ChangeJournal();
  for (const [kernelName, kernelFunc] of plan) {
    const existing = tf.getKernel(kernelName, backendName);
    journal.registerKernel({
      kernelName,
      backendName,
      kernelFunc,
      ...(existing?.setupFunc === undefined ? {} : { setupFunc: existing.setupFunc }),
      ...(existing?.disposeFunc === undefined ? {} : { disposeFunc: existing.disposeFunc }),
    });
  }
  const gradients = options.reductionGradients ?? true ? [meanGradient, sumGradient] : [];
  for (const gradient of gradients) journal.registerGradient(gradient);

  const registration: WebgpuTrainingKernels = {
    backendName,
    kernels: plan.map(([name]) => name),
    gradients: gradients.map((g) => g.kernelName),
    unregister() {
      if ((globalThis as unknown as Holder)[STATE_KEY]?.get(backendName) !== registration) return;
      forget(backendName);
      journal.undo();
    },
  };
  registry().set(backendName, registration);
  return registration;
}

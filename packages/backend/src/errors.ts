import { ArcfaceError } from '@arcface/core';

/** A backend name that no candidate list knows. */
export class UnknownBackendError extends ArcfaceError {
  constructor(name: string, known: readonly string[]) {
    super('ERR_UNKNOWN_BACKEND', `unknown backend '${name}'; known: ${known.join(', ')}`);
  }
}

/** Every candidate was skipped or failed its probe: nothing can run tensors. */
export class NoBackendAvailableError extends ArcfaceError {
  constructor(details: string) {
    super('ERR_NO_BACKEND', `no TensorFlow.js backend could be set up:\n${details}`);
  }
}

/** `registerWasmTrainingKernels()` was called before `@tensorflow/tfjs-backend-wasm` registered its kernels. */
export class WasmBackendMissingError extends ArcfaceError {
  constructor(kernel: string) {
    super(
      'ERR_WASM_BACKEND_MISSING',
      `the wasm kernel '${kernel}' is not registered: import '@tensorflow/tfjs-backend-wasm' before registering the training kernels`,
    );
  }
}

/** A convolution attribute the training kernels do not support (e.g. NCHW layout). */
export class UnsupportedConvolutionError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED_CONVOLUTION', message);
  }
}

/** A native wasm kernel trapped on a worker thread (an operand outside the heap, a corrupted tensor). */
export class NativeKernelFailedError extends ArcfaceError {
  constructor(kernel: string) {
    super(
      'ERR_NATIVE_KERNEL_FAILED',
      `the native kernel '${kernel}' trapped on a worker thread; call setNativeKernelsEnabled(false) to take the XNNPACK path and report the shapes`,
    );
  }
}

/**
 * A worker thread of the native kernels is gone: it exited, threw, or did not finish its block
 * in time (a dead worker cannot answer, and the caller would otherwise wait for ever). The pool
 * goes on without it; the call that met it failed and its output is incomplete.
 */
export class NativeWorkerLostError extends ArcfaceError {
  constructor(kernel: string, worker: string, what: string) {
    super(
      'ERR_NATIVE_WORKER_LOST',
      `${worker} ${what} while running the native kernel '${kernel}'; the result of this call is incomplete. ` +
        `The remaining threads carry on; setNativeKernelWaitTimeout(ms) gives slow machines longer, setNativeKernelsEnabled(false) takes the XNNPACK path`,
    );
  }
}

/**
 * A model, head or optimiser the compiled WebGPU step cannot express (a layer it has no kernel
 * for, Partial FC, gradient accumulation, …). The trainer says why and trains eagerly instead,
 * unless it was told to compile.
 */
export class UncompilableModelError extends ArcfaceError {
  constructor(reason: string) {
    super('ERR_UNCOMPILABLE_MODEL', `the compiled WebGPU step cannot train this: ${reason}`);
  }
}

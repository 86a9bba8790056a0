import * as tf from '@tensorflow/tfjs-core';

/** What the tracer saw of one kernel call, in completion order (tf.profile's order too). */
export interface TracedKernel {
  readonly name: string;
  /** Kernels of ours made of tfjs ops run others inside them: the enclosing kernel, or undefined. */
  readonly parent: string | undefined;
  /** Milliseconds in the kernel function on the host (JavaScript, CPU work, synchronous reads). */
  readonly hostMs: number;
  /** Where the first output lives: 'gpu', or 'cpu' for a WebGPU kernel forwarded to the CPU, else the backend's name. */
  readonly where: string;
  /** Synchronous device-to-host reads (`readSync`) the call made. */
  readonly syncReads: number;
}

interface WebgpuTensorData {
  resource?: unknown;
}

interface TracedBackend {
  readSync(dataId: object): unknown;
  tensorMap?: { get(dataId: object): WebgpuTensorData | undefined };
}

/**
 * Wraps every kernel registered for the active backend, and its `readSync`, until `stop()`:
 * each call's host time, output location and synchronous reads. On WebGPU a kernel
 * whose inputs are small and already on the CPU runs there (`WEBGPU_CPU_FORWARD`) and its
 * output carries values instead of a GPU buffer: that is how 'cpu' is told from 'gpu'.
 */
export function traceKernels(): { records: TracedKernel[]; stop(): void } {
  const backendName = tf.getBackend();
  const backend = tf.backend() as unknown as TracedBackend;
  const records: TracedKernel[] = [];
  const stack: string[] = [];
  let syncReads = 0;

  const originalReadSync = backend.readSync;
  backend.readSync = function (this: TracedBackend, dataId: object) {
    syncReads++;
    return originalReadSync.call(this, dataId);
  };

  const locate = (out: tf.TensorInfo | tf.TensorInfo[]): string => {
    const first = Array.isArray(out) ? out[0] : out;
    if (backendName !== 'webgpu' || first === undefined) return backendName;
    const data = backend.tensorMap?.get(first.dataId);
    return data?.resource === undefined || data.resource === null ? 'cpu' : 'gpu';
  };

  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const wrapped: tf.KernelFunc = (args) => {
      const parent = stack[stack.length - 1];
      stack.push(config.kernelName);
      const readsBefore = syncReads;
      const started = performance.now();
      let out: tf.TensorInfo | tf.TensorInfo[];
      try {
        out = config.kernelFunc(args);
      } finally {
        stack.pop();
      }
      records.push({ name: config.kernelName, parent, hostMs: performance.now() - started, where: locate(out), syncReads: syncReads - readsBefore });
      return out;
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }

  return {
    records,
    stop() {
      backend.readSync = originalReadSync;
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
    },
  };
}

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
  /** WebGPU: buffers created (the buffer pool had none of that size free), their bytes and host ms. */
  readonly createdBuffers: number;
  readonly createdBytes: number;
  readonly createMs: number;
  /** WebGPU: host → GPU uploads (`queue.writeBuffer`): bytes and host ms. */
  readonly uploadBytes: number;
  readonly uploadMs: number;
  /** WebGPU: command submissions and their host ms. */
  readonly submits: number;
  readonly submitMs: number;
}

interface GpuCounters {
  createdBuffers: number;
  createdBytes: number;
  createMs: number;
  uploadBytes: number;
  uploadMs: number;
  submits: number;
  submitMs: number;
}

interface WebgpuHandles {
  device?: { createBuffer(descriptor: { size: number }): unknown };
  queue?: { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView | ArrayBuffer, ...rest: unknown[]): void; submit(buffers: unknown[]): void };
}

/**
 * Times the WebGPU device calls a kernel can block the host on: buffer creation, uploads,
 * submissions (own properties shadow the native methods until `restore`).
 */
function hookWebgpu(backend: WebgpuHandles, counters: GpuCounters): () => void {
  const { device, queue } = backend;
  if (device === undefined || queue === undefined) return () => {};
  const createBuffer = device.createBuffer;
  const writeBuffer = queue.writeBuffer;
  const submit = queue.submit;
  device.createBuffer = function (this: unknown, descriptor) {
    const started = performance.now();
    try {
      return createBuffer.call(this, descriptor);
    } finally {
      counters.createMs += performance.now() - started;
      counters.createdBuffers++;
      counters.createdBytes += descriptor.size;
    }
  };
  queue.writeBuffer = function (this: unknown, buffer, offset, data, ...rest) {
    const started = performance.now();
    try {
      writeBuffer.call(this, buffer, offset, data, ...rest);
    } finally {
      counters.uploadMs += performance.now() - started;
      counters.uploadBytes += data.byteLength;
    }
  };
  queue.submit = function (this: unknown, buffers) {
    const started = performance.now();
    try {
      submit.call(this, buffers);
    } finally {
      counters.submitMs += performance.now() - started;
      counters.submits++;
    }
  };
  return () => {
    delete (device as { createBuffer?: unknown }).createBuffer;
    delete (queue as { writeBuffer?: unknown }).writeBuffer;
    delete (queue as { submit?: unknown }).submit;
    // Where the methods were own properties to begin with, put them back.
    if (device.createBuffer !== createBuffer) device.createBuffer = createBuffer;
    if (queue.writeBuffer !== writeBuffer) queue.writeBuffer = writeBuffer;
    if (queue.submit !== submit) queue.submit = submit;
  };
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
  const gpu: GpuCounters = { createdBuffers: 0, createdBytes: 0, createMs: 0, uploadBytes: 0, uploadMs: 0, submits: 0, submitMs: 0 };
  let unhookWebgpu = () => {};
  if (backendName === 'webgpu') {
    try {
      unhookWebgpu = hookWebgpu(backend as unknown as WebgpuHandles, gpu);
    } catch (error) {
      // Device objects that refuse own properties: the profile goes on without these counters.
      console.warn(`device calls not traced: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

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
      const gpuBefore = { ...gpu };
      const started = performance.now();
      let out: tf.TensorInfo | tf.TensorInfo[];
      try {
        out = config.kernelFunc(args);
      } finally {
        stack.pop();
      }
      const hostMs = performance.now() - started;
      records.push({
        name: config.kernelName,
        parent,
        hostMs,
        where: locate(out),
        syncReads: syncReads - readsBefore,
        createdBuffers: gpu.createdBuffers - gpuBefore.createdBuffers,
        createdBytes: gpu.createdBytes - gpuBefore.createdBytes,
        createMs: gpu.createMs - gpuBefore.createMs,
        uploadBytes: gpu.uploadBytes - gpuBefore.uploadBytes,
        uploadMs: gpu.uploadMs - gpuBefore.uploadMs,
        submits: gpu.submits - gpuBefore.submits,
        submitMs: gpu.submitMs - gpuBefore.submitMs,
      });
      return out;
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }

  return {
    records,
    stop() {
      backend.readSync = originalReadSync;
      unhookWebgpu();
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
    },
  };
}

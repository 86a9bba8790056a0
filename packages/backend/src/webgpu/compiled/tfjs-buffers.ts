import type * as tf from '@tensorflow/tfjs-core';
import { UncompilableModelError } from '../../errors';
import type { GpuBuffer, GpuDevice } from './gpu';

/** What the compiled step needs of `@tensorflow/tfjs-backend-webgpu`'s backend object (4.x). */
export interface TfjsWebgpuBackend {
  readonly device: GpuDevice;
  readonly tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  uploadToGPU(dataId: object): void;
  submitQueue(): void;
  endComputePassEncoder(): void;
}

/** The tfjs WebGPU backend behind `backend`, or a typed error saying what it is instead. */
export function asWebgpuBackend(backend: unknown): TfjsWebgpuBackend {
  const candidate = backend as Partial<TfjsWebgpuBackend> | undefined;
  if (
    candidate === undefined ||
    typeof candidate.device?.createComputePipeline !== 'function' ||
    typeof candidate.tensorMap?.get !== 'function' ||
    typeof candidate.uploadToGPU !== 'function'
  ) {
    throw new UncompilableModelError('the active TensorFlow.js backend is not webgpu (call tf.setBackend("webgpu") or selectBackend first)');
  }
  return candidate as TfjsWebgpuBackend;
}

/** Sends tfjs' recorded but unsubmitted commands, so that the step sees what they wrote. */
export function flushTfjs(backend: TfjsWebgpuBackend): void {
  if ((backend as unknown as { commandEncoder?: unknown }).commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** The GPU buffer holding `variable` (uploading it first if tfjs still keeps it on the host). */
export function bufferOf(backend: TfjsWebgpuBackend, variable: tf.Variable): GpuBuffer {
  const data = backend.tensorMap.get(variable.dataId);
  if (data === undefined) throw new UncompilableModelError(`variable '${variable.name}' is not on the webgpu backend (was it disposed?)`);
  if (data.resource == null) backend.uploadToGPU(variable.dataId);
  const resource = backend.tensorMap.get(variable.dataId)?.resource as GpuBuffer | undefined;
  if (resource === undefined || typeof (resource as { mapAsync?: unknown }).mapAsync !== 'function') {
    throw new UncompilableModelError(`variable '${variable.name}' is held in a texture, not a buffer`);
  }
  return resource;
}

/**
 * After the step wrote a variable's buffer, a copy tfjs cached on the host (from an earlier
 * `data()`) is stale: drop it, so the next read comes from the GPU.
 */
export function forgetHostCopy(backend: TfjsWebgpuBackend, variable: tf.Variable): void {
  const data = backend.tensorMap.get(variable.dataId);
  if (data !== undefined && data.resource != null) data.values = null;
}

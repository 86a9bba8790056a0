import * as tf from '@tensorflow/tfjs-core';
import { traceKernels } from './kernel-tracer';
import { formatProfile, joinProfile, summarise, type ProfileSummary } from './profile-report';
import { medianMs } from './timing';
import { prepareTrainStep } from './workloads';

/**
 * Profiles one training step on the active backend: a warm-up step (shader compilation,
 * first allocations), then one step under `tf.profile()` with every kernel traced (host
 * time, where its output lives, synchronous reads), then `reps` plain steps for the wall
 * time. Prints the summary and returns it.
 */
export async function profileTrainStep(network: string, batch: number, side: number, reps: number, top: number, log: (text: string) => void): Promise<ProfileSummary> {
  const backend = tf.getBackend();
  const step = prepareTrainStep(network, batch, side);
  try {
    const wallMs = await medianMs(reps, () => step.run());
    const poolBefore = bufferPool();
    const tracer = traceKernels();
    let profiledWallMs = 0;
    let info: Awaited<ReturnType<typeof tf.profile>>;
    try {
      const started = performance.now();
      info = await tf.profile(async () => {
        const outputs = tf.tidy(() => step.run());
        for (const t of outputs) await t.data();
        tf.dispose(outputs);
      });
      profiledWallMs = performance.now() - started;
    } finally {
      tracer.stop();
    }
    const calls = joinProfile(info.kernels as unknown as Parameters<typeof joinProfile>[0], tracer.records);
    const summary = summarise(`train step ${step.detail}`, backend, calls, profiledWallMs, wallMs);
    const poolAfter = bufferPool();
    if (poolBefore !== undefined && poolAfter !== undefined) {
      // A pool in a steady state allocates nothing new in a step; growth here means buffers are
      // held (leaked) or never returned to the pool.
      log(`WebGPU buffer pool across the profiled step: ${poolBefore} → ${poolAfter}`);
    }
    log(formatProfile(summary, top));
    return summary;
  } finally {
    step.dispose();
  }
}

interface PoolCounters {
  numBytesAllocated: number;
  numBytesUsed: number;
  numUsedBuffers: number;
  numFreeBuffers: number;
}

/** tfjs-webgpu's buffer pool counters, as text; undefined on other backends. */
function bufferPool(): string | undefined {
  const pool = (tf.backend() as unknown as { bufferManager?: PoolCounters }).bufferManager;
  if (pool === undefined) return undefined;
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  // tfjs returns a tensor's buffer to the pool only if it is `instanceof GPUBuffer`.
  const probe = tf.tidy(() => tf.add(tf.zeros([1024]), 1));
  const map = (tf.backend() as unknown as { tensorMap?: { get(id: object): { resource?: unknown } | undefined } }).tensorMap;
  const resource = map?.get(probe.dataId)?.resource;
  const gpuBuffer = (globalThis as { GPUBuffer?: abstract new () => unknown }).GPUBuffer;
  const poolable = gpuBuffer !== undefined && resource instanceof gpuBuffer;
  probe.dispose();
  return `${mb(pool.numBytesAllocated)} allocated, ${mb(pool.numBytesUsed)} in use, ${pool.numUsedBuffers} used + ${pool.numFreeBuffers} free buffers (a tensor's buffer instanceof GPUBuffer: ${poolable})`;
}

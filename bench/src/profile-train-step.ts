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
    log(formatProfile(summary, top));
    return summary;
  } finally {
    step.dispose();
  }
}

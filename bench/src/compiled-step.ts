import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { createSyntheticFaces } from '@arcface/data';
import { createTrainer } from '@arcface/trainer';
import { countGpuCalls } from './gpu-counters';

/** One training path's figures per step, averaged over the timed steps. */
export interface StepPathFigures {
  readonly network: string;
  readonly path: 'eager' | 'compiled';
  readonly dispatches: number;
  readonly submissions: number;
  /** GPU buffers created per step after the first (warm-up) step. */
  readonly buffers: number;
  /** Milliseconds the JavaScript thread was busy per step (event-loop utilisation, waits excluded). */
  readonly hostMs: number;
  readonly wallMs: number;
  readonly loss: number;
  readonly note?: string;
}

/**
 * The trainer's step on webgpu, eager (tfjs kernels) against compiled, for `network` at
 * `side`² and batch `batch`: both through `createTrainer` with the same data, seed, margin and
 * optimiser, after one warm-up step (which compiles). Counts come from wrapping the device's
 * methods, so they are the calls tfjs and the compiled step really make.
 */
export async function compareTrainingPaths(network: string, batch: number, side: number, steps: number, log: (line: string) => void): Promise<StepPathFigures[]> {
  const backend = tf.backend() as unknown as { device?: unknown };
  if (tf.getBackend() !== 'webgpu' || backend.device === undefined) throw new Error('the compiled-step comparison needs the webgpu backend');
  const out: StepPathFigures[] = [];
  for (const path of ['eager', 'compiled'] as const) {
    const trainer = createTrainer({
      backbone: { name: network, options: { inputShape: [side, side, 3] } },
      margin: { name: 'additive-angular', options: {} },
      // One batch of cached images: after the warm-up, loading a batch is a copy.
      data: createSyntheticFaces({ identities: batch, imagesPerIdentity: 1, size: side, seed: 1, cacheSize: batch }),
      batchSize: batch,
      steps: steps + 1,
      seed: 1,
      optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
      schedule: { type: 'constant', lr: 0.01 },
      compile: path === 'compiled' ? 'always' : 'never',
      logger: { warn: log },
    });
    try {
      log(`${network} ${path}: warm-up step …`);
      await trainer.trainStep();
      const counter = countGpuCalls(backend.device);
      let host = 0;
      let wall = 0;
      let loss = 0;
      try {
        for (let s = 0; s < steps; s++) {
          const before = performance.eventLoopUtilization();
          const started = performance.now();
          const metrics = await trainer.trainStep();
          wall += performance.now() - started;
          host += performance.eventLoopUtilization(before).active;
          loss = metrics.loss;
          log(`${network} ${path}: step ${s + 2}, loss ${metrics.loss.toFixed(4)}, ${(performance.now() - started).toFixed(0)} ms`);
        }
      } finally {
        counter.restore();
      }
      const mode = trainer.stepMode;
      out.push({
        network,
        path,
        dispatches: counter.counts.dispatches / steps,
        submissions: counter.counts.submissions / steps,
        buffers: counter.counts.buffers / steps,
        hostMs: host / steps,
        wallMs: wall / steps,
        loss,
        ...(mode?.kind === 'compiled'
          ? { note: `${mode.summary.pipelines} pipelines, ${mode.summary.arenaBuffers} arena buffers (${(mode.summary.arenaBytes / 2 ** 20).toFixed(0)} MiB; ${(mode.summary.unplannedBytes / 2 ** 20).toFixed(0)} MiB without reuse), ${mode.summary.fused.prelu} PReLU and ${mode.summary.fused.residual} additions fused` }
          : {}),
      });
    } finally {
      trainer.dispose();
    }
  }
  return out;
}

export function compiledTable(rows: readonly StepPathFigures[], heading: string): string {
  const lines = [
    heading,
    '',
    '| network | path | dispatches / step | submissions / step | buffers created / step | host ms / step | wall ms / step | host ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const eager = rows.find((r) => r.network === row.network && r.path === 'eager');
    const ratio = row.path === 'compiled' && eager !== undefined ? `${(eager.hostMs / row.hostMs).toFixed(1)}× lower` : '';
    lines.push(
      `| ${row.network} | ${row.path} | ${row.dispatches.toFixed(0)} | ${row.submissions.toFixed(0)} | ${row.buffers.toFixed(0)} | ${row.hostMs.toFixed(1)} | ${row.wallMs.toFixed(0)} | ${ratio} |`,
    );
  }
  const notes = rows.filter((r) => r.note !== undefined).map((r) => `- ${r.network} compiled: ${r.note as string}.`);
  return [...lines, '', ...notes].join('\n');
}

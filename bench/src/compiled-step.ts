import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { createSyntheticFaces } from '@arcface/data';
import { NonFiniteLossError, createTrainer } from '@arcface/trainer';
import { countGpuCalls } from './gpu-counters';
import type { Measurement } from './workloads';

/** One training path's figures per step, averaged over the timed steps. */
export interface StepPathFigures {
  readonly network: string;
  readonly path: 'eager' | 'compiled';
  readonly dispatches: number;
  readonly submissions: number;
  /** GPU buffers created per step after the first (warm-up) step. */
  readonly buffers: number;
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
export async function compareTrainingPaths(
  network: string,
  batch: number,
  side: number,
  steps: number,
  log: (line: string) => void,
  nullDevice = false,
  paths: readonly string[] = ['eager', 'compiled'],
): Promise<StepPathFigures[]> {
  const backend = tf.backend() as unknown as { device?: unknown };
  if (tf.getBackend() !== 'webgpu' || backend.device === undefined) throw new Error('the compiled-step comparison needs the webgpu backend');
  const out: StepPathFigures[] = [];
  for (const path of (['eager', 'compiled'] as const).filter((p) => paths.includes(p))) {
    const trainer = benchTrainer(network, batch, side, steps, path === 'compiled' ? 'always' : 'never', log);
    // Dawn's null device runs nothing and reads back zeros: the compiled step's finiteness flag
    // then reads false and the trainer stops the step after all its host work is done.
    const step = async (): Promise<number> => {
      try {
        return (await trainer.trainStep()).loss;
      } catch (error) {
        if (nullDevice && error instanceof NonFiniteLossError) return Number.NaN;
        throw error;
      }
    };
    try {
      log(`${network} ${path}: warm-up step …`);
      await step();
      const counter = countGpuCalls(backend.device);
      let wall = 0;
      let loss = 0;
      try {
        for (let s = 0; s < steps; s++) {
          const started = performance.now();
          loss = await step();
          wall += performance.now() - started;
          log(`${network} ${path}: step ${s + 2}, loss ${loss.toFixed(4)}, ${(performance.now() - started).toFixed(0)} ms`);
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

export function compiledTable(rows: readonly StepPathFigures[], hostRows: readonly StepPathFigures[], heading: string): string {
  const lines = [
    heading,
    '',
    '| network | path | dispatches / step | submissions / step | buffers created / step | wall ms / step | host ms / step (null device) | host ratio |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const all = [...rows, ...hostRows.filter((h) => !rows.some((r) => r.network === h.network && r.path === h.path)).map((h) => ({ ...h, dispatches: Number.NaN, submissions: Number.NaN, buffers: Number.NaN, wallMs: Number.NaN }))];
  const figure = (v: number, digits = 0) => (Number.isNaN(v) ? '—' : v.toFixed(digits));
  for (const row of all) {
    const host = hostRows.find((r) => r.network === row.network && r.path === row.path);
    const eagerHost = hostRows.find((r) => r.network === row.network && r.path === 'eager');
    const ratio = row.path === 'compiled' && host !== undefined && eagerHost !== undefined ? `${(eagerHost.wallMs / host.wallMs).toFixed(1)}× lower` : '';
    lines.push(
      `| ${row.network} | ${row.path} | ${figure(row.dispatches)} | ${figure(row.submissions)} | ${figure(row.buffers)} | ${figure(row.wallMs)} | ${host === undefined ? '—' : host.wallMs.toFixed(1)} | ${ratio} |`,
    );
  }
  const notes = rows.filter((r) => r.note !== undefined).map((r) => `- ${r.network} compiled: ${r.note as string}.`);
  return [...lines, '', ...notes].join('\n');
}


/**
 * The trainer's compiled step on webgpu timed as the train-step workload (median of `reps`
 * after one warm-up step, which compiles), for the table against PyTorch.
 */
export async function compiledTrainStep(backend: string, network: string, batch: number, side: number, reps: number): Promise<Measurement> {
  const trainer = benchTrainer(network, batch, side, reps, 'always');
  try {
    await trainer.trainStep();
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const started = performance.now();
      await trainer.trainStep();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const mode = trainer.stepMode;
    return {
      workload: 'train-step',
      backend,
      detail: `${network} ${side}×${side} B=${batch}, compiled`,
      ms: times[Math.floor(times.length / 2)] as number,
      variant: 'compiled',
      ...(mode?.kind === 'compiled' ? { note: `compiled step: ${mode.summary.dispatches} dispatches, 1 submission` } : {}),
    };
  } finally {
    trainer.dispose();
  }
}

/**
 * The trainer both bench workloads time: `network` at `side`², ArcFace, SGD, one warm-up step
 * and `steps` timed ones. One batch of cached images: after the warm-up, loading a batch is a copy.
 */
function benchTrainer(network: string, batch: number, side: number, steps: number, compile: 'always' | 'never', log?: (line: string) => void) {
  return createTrainer({
    backbone: { name: network, options: { inputShape: [side, side, 3] } },
    margin: { name: 'additive-angular', options: {} },
    data: createSyntheticFaces({ identities: batch, imagesPerIdentity: 1, size: side, seed: 1, cacheSize: batch }),
    batchSize: batch,
    steps: steps + 1,
    seed: 1,
    optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { type: 'constant', lr: 0.01 },
    compile,
    ...(log !== undefined ? { logger: { warn: log } } : {}),
  });
}

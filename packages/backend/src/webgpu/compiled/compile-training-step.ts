import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import { UncompilableModelError } from '../../errors';
import { planArena } from './buffer-arena';
import { BufferUsage, MapMode, type GpuBindGroup, type GpuBuffer, type GpuComputePipeline, type GpuDevice } from './gpu';
import { SUMMARY } from './kernels/optimizer';
import { STEP_BYTES } from './kernels/wgsl';
import { planTrainingStep, type Schedule, type Storage } from './schedule';
import { asWebgpuBackend, bufferOf, flushTfjs, forgetHostCopy } from './tfjs-buffers';
import type { TrainingGraph } from './training-graph';

/** One batch for {@link CompiledTrainingStep.run}. */
export interface CompiledBatch {
  /** [B, H, W, C] as the graph's input, float32. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly learningRate: number;
  /** The optimiser's step count after this update (1 for the first), for Adam's bias correction. */
  readonly step: number;
  /** The margin's per-step parameter `p` (SphereFace's λ); 0 when the margin has none. */
  readonly marginParameter?: number;
}

export interface CompiledStepMetrics {
  readonly loss: number;
  readonly gradNorm: number;
  /** Mean angle to the label's centre, degrees. */
  readonly thetaY: number;
  /** False when loss or gradient norm was not finite: nothing was applied. */
  readonly finite: boolean;
}

/** What compiling made: counts per step and memory. */
export interface CompiledStepSummary {
  readonly dispatches: number;
  readonly copies: number;
  readonly submissions: 1;
  /** Distinct compute pipelines. */
  readonly pipelines: number;
  /** GPU buffers the step owns (all made at compile time). */
  readonly buffers: number;
  readonly bytes: number;
  readonly arenaBuffers: number;
  readonly arenaBytes: number;
  /** Bytes the activations and their gradients would take without reuse. */
  readonly unplannedBytes: number;
  readonly fused: { readonly prelu: number; readonly residual: number; readonly reshapes: number };
  readonly parameters: { readonly trained: number; readonly frozen: number; readonly statistics: number };
  /** Dispatches by kernel. */
  readonly kernels: Readonly<Record<string, number>>;
}

/**
 * A training step compiled once for fixed shapes: every kernel, buffer and bind group is made
 * here; each `run` writes the batch, encodes the recorded dispatches into one command
 * buffer, submits it once and reads back four numbers. Parameters, running statistics and
 * optimiser slots live in the step's buffers and are copied into their tfjs variables at the
 * end of every step (same submission), so the model, the head and checkpoints stay current.
 */
export interface CompiledTrainingStep {
  readonly summary: CompiledStepSummary;
  run(batch: CompiledBatch): Promise<CompiledStepMetrics>;
  /** The last step's gradients (before clipping) of the trained params, by graph param index. */
  gradients(): Promise<Map<number, Float32Array>>;
  /**
   * A diagnostic: one step with every dispatch submitted and awaited on its own, returning
   * milliseconds by kernel label (the batch is applied as by `run`). Slow by design.
   */
  profile(batch: CompiledBatch): Promise<Record<string, number>>;
  /** Reads the tfjs variables into the step's buffers again (after a checkpoint restore). */
  reload(): void;
  dispose(): void;
}

export interface CompileOptions {
  /** The tfjs WebGPU backend object; default the active backend. */
  readonly backend?: unknown;
}

/**
 * Compiles `graph` on the tfjs WebGPU backend's device. Throws {@link UncompilableModelError}
 * for what it cannot express, and for buffers past the device's limits.
 */
export async function compileTrainingStep(graph: TrainingGraph, options: CompileOptions = {}): Promise<CompiledTrainingStep> {
  const backend = asWebgpuBackend(options.backend ?? tf.backend());
  const device = backend.device;
  const schedule = planTrainingStep(graph);
  const trainedParams = graph.params.map((p, i) => ({ p, i })).filter(({ p }) => p.role === 'backbone' || p.role === 'centers');
  const slotCount = graph.optimizer.kind === 'sgd' ? 1 : 2;
  for (const { p } of trainedParams) {
    if ((p.slots?.length ?? 0) !== slotCount || p.slots?.some((s) => s.size !== p.variable.size)) {
      throw new UncompilableModelError(`'${p.name}' needs ${slotCount} optimiser slots of its own size for ${graph.optimizer.kind}`);
    }
  }

  const limit = device.limits.maxStorageBufferBindingSize;
  for (const s of schedule.storages) {
    if (s.bytes > limit) {
      throw new UncompilableModelError(`'${s.name}' needs ${s.bytes} bytes, more than this device binds at once (${limit}); use a smaller batch or input`);
    }
  }
  const arena = planArena(schedule.steps);
  const owned: GpuBuffer[] = [];
  const make = (bytes: number, usage: number, label: string): GpuBuffer => {
    const buffer = device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage, label });
    owned.push(buffer);
    return buffer;
  };
  const storageUsage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
  const arenaBuffers = arena.sizes.map((bytes, i) => make(bytes, storageUsage, `arena ${i}`));
  const bufferOfStorage = new Map<Storage, GpuBuffer>();
  for (const s of schedule.storages) {
    if (s.persistent) {
      bufferOfStorage.set(s, make(s.bytes, s.usage === 'uniform' ? BufferUsage.UNIFORM | BufferUsage.COPY_DST : storageUsage, s.name));
    } else {
      const slot = arena.slotOf.get(s);
      if (slot !== undefined) bufferOfStorage.set(s, arenaBuffers[slot] as GpuBuffer);
    }
  }
  const gpu = (s: Storage) => bufferOfStorage.get(s) as GpuBuffer;
  const staging = make(SUMMARY.size * 4, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'summary read-back');

  // Pipelines (one per distinct kernel source) and bind groups, once.
  device.pushErrorScope?.('validation');
  const pipelines = new Map<string, GpuComputePipeline>();
  const recorded: Array<{ label: string; pipeline: GpuComputePipeline; group: GpuBindGroup; workgroups: readonly [number, number] } | { copy: { from: GpuBuffer; to: GpuBuffer; bytes: number } }> = [];
  const kernels: Record<string, number> = {};
  for (const step of schedule.steps) {
    if (step.kind === 'copy') {
      recorded.push({ copy: { from: gpu(step.from), to: gpu(step.to), bytes: step.bytes } });
      continue;
    }
    const { spec } = step;
    kernels[spec.label] = (kernels[spec.label] ?? 0) + 1;
    let pipeline = pipelines.get(spec.code);
    if (pipeline === undefined) {
      const module = device.createShaderModule({ code: spec.code, label: spec.label });
      pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: spec.label });
      pipelines.set(spec.code, pipeline);
    }
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: spec.bindings.map((b, binding) => ({ binding, resource: { buffer: gpu(b.storage) } })),
      label: spec.label,
    });
    recorded.push({ label: spec.label, pipeline, group, workgroups: spec.workgroups });
  }
  const error = await device.popErrorScope?.();
  if (error) {
    for (const buffer of owned) buffer.destroy();
    throw new UncompilableModelError(`WebGPU rejected a generated kernel: ${error.message}`);
  }

  const { persistent, placement } = schedule;
  /** Copies between the tfjs variables and the step's buffers, one direction. */
  const transfers = (direction: 'load' | 'store') => {
    const encoder = device.createCommandEncoder({ label: direction });
    encodeTransfers(encoder, direction);
    flushTfjs(backend);
    device.queue.submit([encoder.finish()]);
  };
  const encodeTransfers = (encoder: ReturnType<GpuDevice['createCommandEncoder']>, direction: 'load' | 'store') => {
    graph.params.forEach((p, i) => {
      if (direction === 'store' && p.role === 'frozen') return;
      const place = placement[i]!;
      const own = gpu(place.buffer === 'params' ? persistent.params : persistent.stats);
      const theirs = bufferOf(backend, p.variable);
      const pairs: Array<[GpuBuffer, GpuBuffer]> = [[theirs, own]];
      p.slots?.forEach((slot, k) => pairs.push([bufferOf(backend, slot), gpu(persistent.slots[k] as Storage)]));
      for (const [variableBuffer, stepBuffer] of pairs) {
        if (direction === 'load') encoder.copyBufferToBuffer(variableBuffer, 0, stepBuffer, place.offset * 4, place.size * 4);
        else encoder.copyBufferToBuffer(stepBuffer, place.offset * 4, variableBuffer, 0, place.size * 4);
      }
    });
  };
  const forgetHostCopies = () =>
    graph.params.forEach((p) => {
      forgetHostCopy(backend, p.variable);
      p.slots?.forEach((s) => forgetHostCopy(backend, s));
    });
  let loadedIds: object[] = [];
  const load = () => {
    transfers('load');
    loadedIds = graph.params.map((p) => p.variable.dataId);
  };
  load();

  const [batch, ...rest] = graph.tensors[graph.input] as readonly number[];
  const imageSize = (batch as number) * rest.reduce((a, b) => a * b, 1);
  const stepValues = new Float32Array(STEP_BYTES / 4);
  const optimizer = graph.optimizer;
  let disposed = false;
  let running = false;

  const summary: CompiledStepSummary = {
    dispatches: recorded.filter((r) => !('copy' in r)).length,
    copies: recorded.filter((r) => 'copy' in r).length,
    submissions: 1,
    pipelines: pipelines.size,
    buffers: owned.length,
    bytes: owned.reduce((n, b) => n + b.size, 0),
    arenaBuffers: arenaBuffers.length,
    arenaBytes: arenaBuffers.reduce((n, b) => n + b.size, 0),
    unplannedBytes: schedule.storages.filter((s) => !s.persistent).reduce((n, s) => n + s.bytes, 0),
    fused: schedule.fused,
    parameters: {
      trained: schedule.sizes.trained,
      frozen: schedule.sizes.params - schedule.sizes.trained,
      statistics: schedule.sizes.stats,
    },
    kernels,
  };

  const execute = async (input: CompiledBatch, profile: Record<string, number> | undefined): Promise<CompiledStepMetrics> => {
      if (disposed) throw new InvalidArgumentError('compiled training step: run after dispose');
      if (running) throw new InvalidArgumentError('compiled training step: run while the previous step is still running');
      if (input.images.length !== imageSize) {
        throw new InvalidArgumentError(`compiled training step: expected ${imageSize} image values ([${graph.tensors[graph.input]?.join(', ')}]), got ${input.images.length}`);
      }
      if (input.labels.length !== batch) throw new InvalidArgumentError(`compiled training step: expected ${batch} labels, got ${input.labels.length}`);
      for (const label of input.labels) {
        if (!(label >= 0 && label < graph.head.classes)) {
          throw new InvalidArgumentError(`compiled training step: label ${label} is outside [0, ${graph.head.classes})`);
        }
      }
      running = true;
      try {
        const t = input.step;
        const lr = input.learningRate;
        stepValues[0] = lr;
        stepValues[1] = optimizer.kind === 'adamw' ? 1 - optimizer.beta1 ** t : 1;
        stepValues[2] = optimizer.kind === 'adamw' ? 1 - optimizer.beta2 ** t : 1;
        stepValues[3] = input.marginParameter ?? 0;
        stepValues[4] = 1 - lr * optimizer.weightDecay;
        // A variable assigned since the last step (a restore, loaded weights) is read again.
        if (graph.params.some((p, i) => p.variable.dataId !== loadedIds[i])) transfers('load');
        const queue = device.queue;
        queue.writeBuffer(gpu(persistent.input), 0, input.images);
        queue.writeBuffer(gpu(persistent.labels), 0, input.labels);
        queue.writeBuffer(gpu(persistent.step), 0, stepValues);
        let encoder = device.createCommandEncoder({ label: 'training step' });
        let pass = encoder.beginComputePass();
        for (const r of recorded) {
          if ('copy' in r) {
            pass.end();
            encoder.copyBufferToBuffer(r.copy.from, 0, r.copy.to, 0, r.copy.bytes);
            pass = encoder.beginComputePass();
            continue;
          }
          pass.setPipeline(r.pipeline);
          pass.setBindGroup(0, r.group);
          pass.dispatchWorkgroups(r.workgroups[0], r.workgroups[1]);
          if (profile !== undefined) {
            pass.end();
            const started = performance.now();
            queue.submit([encoder.finish()]);
            await queue.onSubmittedWorkDone();
            profile[r.label] = (profile[r.label] ?? 0) + performance.now() - started;
            encoder = device.createCommandEncoder({ label: 'training step' });
            pass = encoder.beginComputePass();
          }
        }
        pass.end();
        encoder.copyBufferToBuffer(gpu(persistent.summary), 0, staging, 0, SUMMARY.size * 4);
        encodeTransfers(encoder, 'store');
        flushTfjs(backend);
        queue.submit([encoder.finish()]);
        forgetHostCopies();
        await staging.mapAsync(MapMode.READ);
        const values = new Float32Array(staging.getMappedRange().slice(0));
        staging.unmap();
        return {
          loss: values[SUMMARY.loss] as number,
          gradNorm: values[SUMMARY.gradNorm] as number,
          thetaY: values[SUMMARY.theta] as number,
          finite: values[SUMMARY.finite] === 1,
        };
      } finally {
        running = false;
      }
    };

  return {
    summary,
    run: (input: CompiledBatch) => execute(input, undefined),
    async profile(input: CompiledBatch) {
      const times: Record<string, number> = {};
      await execute(input, times);
      return times;
    },
    async gradients() {
      const grads = gpu(persistent.grads);
      const read = device.createBuffer({ size: grads.size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'gradients read-back' });
      try {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(grads, 0, read, 0, grads.size);
        device.queue.submit([encoder.finish()]);
        await read.mapAsync(MapMode.READ);
        const all = new Float32Array(read.getMappedRange().slice(0));
        read.unmap();
        return new Map(trainedParams.map(({ i }) => {
          const place = placement[i]!;
          return [i, all.slice(place.offset, place.offset + place.size)] as const;
        }));
      } finally {
        read.destroy();
      }
    },
    reload() {
      load();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const buffer of owned) buffer.destroy();
    },
  };
}

export type { Schedule };

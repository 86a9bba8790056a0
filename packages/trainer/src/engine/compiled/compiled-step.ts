import * as tf from '@tensorflow/tfjs-core';
import { compileTrainingStep, UncompilableModelError, type CompiledBatch, type CompiledStepMetrics, type CompiledStepSummary, type GraphOptimizer, type TrainingGraph } from '@arcface/backend';
import type { ResolvedTrainer } from '../configure-trainer';
import type { TrainingState } from '../training-state';
import { lowerBackbone } from './lower-model';
import { compileMargin } from './margin-wgsl';

/** The trainer's step on the compiled WebGPU path. */
export interface CompiledTrainerStep {
  readonly summary: CompiledStepSummary;
  readonly graph: TrainingGraph;
  /** One update at optimiser step `step` (0-based, before the update). */
  run(step: number, pixels: Float32Array, labels: Int32Array, learningRate: number): Promise<CompiledStepMetrics>;
  /** `run` with every dispatch timed on its own (a diagnostic): milliseconds by kernel. */
  profile(step: number, pixels: Float32Array, labels: Int32Array, learningRate: number): Promise<Record<string, number>>;
  gradients(): ReturnType<Awaited<ReturnType<typeof compileTrainingStep>>['gradients']>;
  dispose(): void;
}

/**
 * Lowers the resolved run (backbone, full-classifier head, built-in margin, sgd or adamw) into a
 * training graph and compiles it on the active webgpu backend. Throws UncompilableModelError
 * naming what it cannot express. The backbone's optimiser slots are those of `state` (made here
 * when the run has none yet), so checkpoints hold the compiled step's optimiser state.
 */
export async function compileTrainerStep(run: ResolvedTrainer, state: TrainingState): Promise<CompiledTrainerStep> {
  const { model, head, optimizer } = run;
  if (run.accumulation !== 1) throw new UncompilableModelError(`gradient accumulation (${run.accumulation} micro-batches) is not compiled`);
  const centers = head.fixedCenters?.(optimizer);
  if (centers === undefined) throw new UncompilableModelError(`the '${head.config.type}' head changes its classes every step; only the full classifier is compiled`);
  const graphOptimizer = lowerOptimizer(optimizer.name, optimizer.options);
  const margin = compileMargin(run.margin);
  const channels = model.inputs[0]?.shape[3] as number;
  if (channels !== 1 && channels !== 3) throw new UncompilableModelError(`a model with ${channels} input channels is not compiled`);
  const backbone = lowerBackbone(model, run.config.batchSize);

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  while (state.slots.length < vars.length) {
    const v = vars[state.slots.length] as tf.Variable;
    state.slots.push(optimizer.slots.map(() => tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
  }
  const params = backbone.params.map((p) => {
    if (p.role !== 'backbone') return p;
    const index = vars.indexOf(p.variable);
    if (index < 0) throw new UncompilableModelError(`'${p.name}' is trainable but not among the model's trainable weights`);
    return { ...p, slots: state.slots[index] as tf.Variable[] };
  });
  const trainedInGraph = new Set(params.filter((p) => p.role === 'backbone').map((p) => p.variable));
  const untouched = vars.filter((v) => !trainedInGraph.has(v));
  if (untouched.length > 0) throw new UncompilableModelError(`trainable weights outside the compiled layers: ${untouched.map((v) => v.name).join(', ')}`);
  const centerParam = params.length;
  const graph: TrainingGraph = {
    tensors: backbone.tensors,
    input: backbone.input,
    embeddings: backbone.embeddings,
    ops: backbone.ops,
    params: [...params, { name: 'centers', variable: centers.centers, role: 'centers', slots: centers.slots }],
    head: { centers: centerParam, classes: head.numClasses, margin: margin.margin },
    optimizer: graphOptimizer,
    ...(run.clipNorm !== undefined ? { clipNorm: run.clipNorm } : {}),
  };
  const compiled = await compileTrainingStep(graph);
  const grey = channels === 1;
  const { height, width } = run;
  const batch = run.config.batchSize;
  const images = grey ? new Float32Array(batch * height * width) : undefined;
  const batchOf = (step: number, pixels: Float32Array, labels: Int32Array, learningRate: number): CompiledBatch => {
    // A grey model sees the channel mean, as adaptChannels gives the eager path.
    if (images !== undefined) {
      for (let i = 0; i < images.length; i++) images[i] = ((pixels[3 * i] as number) + (pixels[3 * i + 1] as number) + (pixels[3 * i + 2] as number)) / 3;
    }
    return { images: images ?? pixels, labels, learningRate, step: step + 1, marginParameter: margin.parameter(step) };
  };
  return {
    summary: compiled.summary,
    graph,
    run: (step, pixels, labels, learningRate) => compiled.run(batchOf(step, pixels, labels, learningRate)),
    profile: (step, pixels, labels, learningRate) => compiled.profile(batchOf(step, pixels, labels, learningRate)),
    gradients: () => compiled.gradients(),
    dispose: () => compiled.dispose(),
  };
}

function lowerOptimizer(name: string, options: Readonly<Record<string, number>>): GraphOptimizer {
  const option = (key: string): number => {
    const value = options[key];
    if (value === undefined) throw new UncompilableModelError(`optimiser '${name}' has no option '${key}'`);
    return value;
  };
  if (name === 'sgd') return { kind: 'sgd', momentum: option('momentum'), weightDecay: option('weightDecay'), nesterov: option('nesterov') === 1 };
  if (name === 'adamw') {
    return { kind: 'adamw', beta1: option('beta1'), beta2: option('beta2'), epsilon: option('epsilon'), weightDecay: option('weightDecay') };
  }
  throw new UncompilableModelError(`optimiser '${name}' is not compiled (sgd and adamw are)`);
}

import * as tf from '@tensorflow/tfjs-core';
import { createDataPipeline, type DataPipeline } from '@arcface/data';
import { marginSoftmaxLoss, meanTargetAngle } from '@arcface/margins';
import { NonFiniteLossError } from '../errors';
import { adaptChannels } from '../evaluation/embed';
import { clipByGlobalNorm } from '../optim/clip';
import { learningRate } from '../optim/learning-rate';
import { backboneForward, type BackboneForward } from './backbone-forward';
import type { ResolvedTrainer } from './configure-trainer';
import type { TrainingState } from './training-state';
import type { StepMetrics } from './trainer-events';
import { UncompilableModelError, type CompiledStepSummary } from '@arcface/backend';
import { compileTrainerStep, type CompiledTrainerStep } from './compiled/compiled-step';

/**
 * Which path a run's steps take, known after the first: 'compiled' (webgpu, through the
 * compiled step, with its counts) or 'eager', with why the compiled step was not used where it
 * was considered.
 */
export type StepMode = { readonly kind: 'compiled'; readonly summary: CompiledStepSummary } | { readonly kind: 'eager'; readonly reason?: string };

/** The step function, and which path it took. */
export interface TrainingStep {
  (): Promise<StepMetrics>;
  /** Undefined until the first step. */
  readonly mode: StepMode | undefined;
  /** Frees the compiled step's GPU buffers. */
  dispose(): void;
}

/**
 * One optimiser update: its micro-batches (gradient accumulation), the margin loss through the
 * backbone and the head's centres, clipping, the NaN guard (before anything is applied), the
 * backbone's and the head's updates. The data order is a pure function of the seed and the
 * step, so a resumed run draws the same batches as an uninterrupted one.
 */
export function createTrainingStep(run: ResolvedTrainer, state: TrainingState): TrainingStep {
  const { model, head, margin, optimizer, schedule, height, width, accumulation, clipNorm } = run;
  const { batchSize, seed } = run.config;
  const clock = run.config.clock ?? Date;
  const pipeline: DataPipeline = createDataPipeline(run.config.data, {
    batchSize,
    inputSize: [height, width],
    seed,
    shuffle: true,
    dropRemainder: true,
    augment: run.config.augment ?? false,
    prefetch: 0,
  });
  const trainable = () => model.trainableWeights.map((w) => w.read() as tf.Variable);

  const microBatch = async (index: number) => {
    const epoch = Math.floor(index / pipeline.batchesPerEpoch);
    const b = index % pipeline.batchesPerEpoch;
    const indices = pipeline.epochOrder(epoch).slice(b * batchSize, (b + 1) * batchSize);
    const { pixels, labels } = await pipeline.load(indices, epoch);
    return { epoch, pixels, labels };
  };

  // Chosen at the first step, for the backend active then.
  let forward: BackboneForward | undefined;
  const trainingForward = (): BackboneForward => (forward ??= backboneForward(model, run.gradientCheckpoints, batchSize * height * width));

  // Chosen at the first step too: compiled on webgpu when the run allows it.
  let compiled: CompiledTrainerStep | undefined;
  let mode: TrainingStep['mode'];
  const choosePath = async () => {
    const wanted = run.config.compile ?? 'auto';
    if (wanted === 'never' || tf.getBackend() !== 'webgpu') {
      mode = { kind: 'eager' };
      if (wanted === 'always') throw new UncompilableModelError(`the active backend is ${tf.getBackend()}, not webgpu`);
      return;
    }
    try {
      compiled = await compileTrainerStep(run, state);
      mode = { kind: 'compiled', summary: compiled.summary };
    } catch (error) {
      if (!(error instanceof UncompilableModelError) || wanted === 'always') throw error;
      mode = { kind: 'eager', reason: error.message };
      const logger = run.config.logger ?? console;
      (logger.info ?? logger.warn).call(logger, `training eagerly on webgpu: ${error.message}`);
    }
  };

  const compiledStep = async (active: CompiledTrainerStep): Promise<StepMetrics> => {
    const { step } = state;
    const started = clock.now();
    const { epoch, pixels, labels } = await microBatch(step);
    const lr = learningRate(schedule, step);
    const result = await active.run(step, pixels, labels, lr);
    if (!result.finite) throw new NonFiniteLossError(step, result.loss, result.gradNorm, state.lastCheckpoint);
    state.step = step + 1;
    const seconds = Math.max(1e-9, (clock.now() - started) / 1000);
    return { step: step + 1, epoch, loss: result.loss, lr, thetaY: result.thetaY, gradNorm: result.gradNorm, imagesPerSecond: labels.length / seconds };
  };

  const stepFn = async (): Promise<StepMetrics> => {
    if (mode === undefined) await choosePath();
    if (compiled !== undefined) return compiledStep(compiled);
    const { step } = state;
    const started = clock.now();
    const batches = await Promise.all(Array.from({ length: accumulation }, (_, j) => microBatch(step * accumulation + j)));
    const allLabels = new Int32Array(batches.reduce((n, b) => n + b.labels.length, 0));
    let offset = 0;
    for (const b of batches) {
      allLabels.set(b.labels, offset);
      offset += b.labels.length;
    }
    const headStep = head.prepare(allLabels, step);
    const vars = trainable();
    const lr = learningRate(schedule, step);
    let summed: tf.Tensor[] | undefined;
    const losses: tf.Scalar[] = [];
    const angles: tf.Scalar[] = [];
    try {
      offset = 0;
      for (const b of batches) {
        const count = b.labels.length;
        const labels = tf.slice(headStep.labels, [offset], [count]);
        offset += count;
        const images = tf.tensor4d(b.pixels, [count, height, width, 3]);
        let angle: tf.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const input = adaptChannels(model, images);
          const e = trainingForward().apply(input, { training: true }) as tf.Tensor2D;
          angle = tf.keep(meanTargetAngle(e, headStep.centers as tf.Tensor2D, labels, { validate: false }));
          return marginSoftmaxLoss(e, headStep.centers as tf.Tensor2D, labels, margin, { step, training: true, validate: false });
        }, [...vars, headStep.centers]);
        tf.dispose([images, labels]);
        losses.push(value);
        if (angle !== undefined) angles.push(angle);
        const ordered = [...vars, headStep.centers].map((v) => grads[v.name] ?? tf.zerosLike(v));
        if (summed === undefined) summed = ordered;
        else {
          const previous: tf.Tensor[] = summed;
          summed = previous.map((s, i) => tf.add(s, ordered[i] as tf.Tensor));
          tf.dispose([...previous, ...ordered]);
        }
      }
      const grads = summed as tf.Tensor[];
      const averaged = accumulation === 1 ? grads : tf.tidy(() => grads.map((g) => tf.div(g, accumulation)));
      if (averaged !== grads) tf.dispose(grads);
      const backboneGrads = averaged.slice(0, vars.length);
      const centerGrad = averaged[vars.length] as tf.Tensor;
      const { norm, clipped } = clipByGlobalNorm(backboneGrads, clipNorm);
      tf.dispose(backboneGrads);
      const summary = tf.tidy(() => tf.stack([tf.mean(tf.stack(losses)), norm, tf.mean(tf.stack(angles.length > 0 ? angles : [tf.scalar(NaN)]))]));
      const [loss, gradNorm, thetaY] = Array.from(await summary.data()) as [number, number, number];
      tf.dispose([summary, norm, ...losses, ...angles]);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        tf.dispose([...clipped, centerGrad]);
        throw new NonFiniteLossError(step, loss, gradNorm, state.lastCheckpoint);
      }
      const t = step + 1;
      while (state.slots.length < vars.length) {
        const v = vars[state.slots.length] as tf.Variable;
        state.slots.push(optimizer.slots.map(() => tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
      }
      tf.tidy(() => {
        vars.forEach((v, i) => {
          const own = state.slots[i] as tf.Variable[];
          const next = optimizer.update(v, clipped[i] as tf.Tensor, own, lr, t);
          v.assign(next.param);
          next.slots.forEach((s, k) => (own[k] as tf.Variable).assign(s));
        });
      });
      try {
        await headStep.apply(centerGrad, optimizer, lr, t);
      } finally {
        tf.dispose([...clipped, centerGrad]);
      }
      state.step = t;
      const seconds = Math.max(1e-9, (clock.now() - started) / 1000);
      return { step: t, epoch: batches[0]?.epoch ?? 0, loss, lr, thetaY, gradNorm, imagesPerSecond: allLabels.length / seconds };
    } finally {
      headStep.dispose();
    }
  };
  // defineProperty, not Object.assign: assign would copy the getter's value at this moment.
  Object.defineProperty(stepFn, 'mode', { get: () => mode });
  return Object.assign(stepFn, {
    dispose() {
      compiled?.dispose();
      compiled = undefined;
    },
  }) as TrainingStep;
}

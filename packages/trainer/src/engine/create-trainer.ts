import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { MarginFn } from '@arcface/margins';
import { CheckpointError } from '../errors';
import { embedImages } from '../evaluation/embed';
import type { VerificationSet } from '../evaluation/verification-set';
import type { ClassificationHead } from '../heads/head';
import type { Optimizer } from '../optim/optimizer';
import { configureTrainer } from './configure-trainer';
import { trainerCheckpoint } from './trainer-checkpoint';
import { trainerEvaluation } from './trainer-evaluation';
import type { TrainerConfig } from './trainer-config';
import type { EvaluationReport, StepMetrics } from './trainer-events';
import { createTrainingStep, type StepMode } from './training-step';
import { initialTrainingState } from './training-state';

/** A configured training run. */
export interface Trainer {
  readonly model: tfl.LayersModel;
  readonly margin: MarginFn;
  readonly head: ClassificationHead;
  readonly optimizer: Optimizer;
  /** Optimiser updates done so far. */
  readonly step: number;
  /** Per-step figures of this process's run (not restored by resume: see the metrics log). */
  readonly history: readonly StepMetrics[];
  /** Evaluations of this process's run. */
  readonly evaluations: readonly EvaluationReport[];
  /** Path of the newest checkpoint written or loaded. */
  readonly lastCheckpoint: string | undefined;
  /** Loads the newest readable checkpoint; returns its path, or undefined when none exists. */
  resume(): Promise<string | undefined>;
  /**
   * Trains up to `config.steps` (or `untilStep`), resuming first when configured, writing
   * checkpoints, evaluating and reporting as configured. A NaN or infinite loss stops it with
   * {@link NonFiniteLossError} before the bad update is applied.
   */
  train(options?: { untilStep?: number; signal?: AbortSignal }): Promise<{ step: number; history: readonly StepMetrics[]; evaluations: readonly EvaluationReport[] }>;
  /**
   * How steps run, known after the first: through the compiled WebGPU step (with its
   * dispatch and buffer counts) or eagerly (with the reason, where compiling was considered).
   */
  readonly stepMode: StepMode | undefined;
  /** Runs one optimiser step (with its accumulated micro-batches). */
  trainStep(): Promise<StepMetrics>;
  /** Verification on the configured sets and the Table 3 statistics, now. */
  evaluate(sets?: readonly VerificationSet[]): Promise<EvaluationReport>;
  /** Writes a checkpoint now; returns its path. */
  saveCheckpoint(): Promise<string>;
  /** Unit-length embeddings of images `[B, h, w, c]` (flip-summed unless `flip: false`). */
  embed(images: tf.Tensor4D, options?: { flip?: boolean }): tf.Tensor2D;
  /**
   * Frees the head and the optimiser state, and the model unless `keepModel` (a model the
   * caller passed in and still uses).
   */
  dispose(options?: { keepModel?: boolean }): void;
}

/**
 * Composes a training run from plain settings: backbone, margin, head, data, optimiser,
 * schedule, checkpoints, evaluation. Every check that can fail runs here, before any training
 * (`configureTrainer`); the step, the checkpoint contents and the evaluation each live in a
 * file of their own.
 *
 * @example
 * ```ts
 * const trainer = createTrainer({
 *   backbone: { name: 'tiny-cnn', options: { inputShape: [32, 32, 3], embeddingSize: 64 } },
 *   margin: { name: 'additive-angular', options: { m: 0.5, s: 16 } },
 *   data: createSyntheticFaces({ identities: 50, imagesPerIdentity: 20, size: 32, seed: 1 }),
 *   batchSize: 64, steps: 500, seed: 1,
 *   optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
 *   schedule: { type: 'polynomial', lr: 0.1, warmupSteps: 50, totalSteps: 500 },
 *   checkpoint: { store: fileCheckpointStore('runs/demo/checkpoints', { keep: 3 }), every: 100 },
 *   onEvent: (e) => e.type === 'step' && console.log(e.step, e.loss, e.thetaY),
 * });
 * await trainer.train();
 * ```
 */
export function createTrainer(config: TrainerConfig): Trainer {
  const run = configureTrainer(config);
  const { model, margin, head, optimizer, store, checkpointEvery, clipNorm } = run;
  const state = initialTrainingState();
  const step = createTrainingStep(run, state);
  const checkpoint = trainerCheckpoint(run, state);
  const evaluateNow = trainerEvaluation(run, state);
  const emit = config.onEvent ?? (() => undefined);
  const record = config.metrics ?? (() => undefined);
  const logger = config.logger ?? console;
  const clock = config.clock ?? Date;
  const history: StepMetrics[] = [];
  const evaluations: EvaluationReport[] = [];

  const trainStep = async (): Promise<StepMetrics> => {
    const metrics = await step();
    history.push(metrics);
    record({ type: 'step', ...metrics });
    return metrics;
  };

  const saveCheckpoint = async (): Promise<string> => {
    if (store === undefined) throw new CheckpointError('no checkpoint store configured (config.checkpoint)');
    const path = await store.save(state.step, await checkpoint.contents());
    state.lastCheckpoint = path;
    emit({ type: 'checkpoint', step: state.step, path });
    return path;
  };

  const resume = async (): Promise<string | undefined> => {
    const latest = await store?.latest();
    if (latest === undefined) return undefined;
    checkpoint.restore(latest.contents, latest.path);
    return latest.path;
  };

  const evaluate = async (sets?: readonly VerificationSet[]): Promise<EvaluationReport> => {
    const report = await evaluateNow(sets);
    evaluations.push(report);
    const summary = report.sets.map((r) => ({ name: r.name, pairs: r.pairs, accuracy: r.verification.accuracy, auc: r.verification.auc, tarAtFar: r.verification.tarAtFar?.tar ?? null }));
    record({ type: 'evaluation', step: report.step, statistics: report.statistics, sets: summary });
    emit({ type: 'evaluation', report });
    return report;
  };

  const train: Trainer['train'] = async (options = {}) => {
    const begin = clock.now();
    const until = Math.min(options.untilStep ?? config.steps, config.steps);
    let resumedFrom: string | undefined;
    if (config.checkpoint !== undefined && (config.checkpoint.resume ?? true) && state.step === 0) resumedFrom = await resume();
    emit({ type: 'start', step: state.step, totalSteps: config.steps, ...(resumedFrom ? { resumedFrom } : {}) });
    const evalEvery = config.evaluation?.every ?? 0;
    let savedAt: number | undefined;
    while (state.step < until) {
      if (options.signal?.aborted) break;
      const metrics = await trainStep();
      emit({ type: 'step', totalSteps: config.steps, ...metrics });
      if (store !== undefined && state.step % checkpointEvery === 0) {
        await saveCheckpoint();
        savedAt = state.step;
      }
      if (config.evaluation !== undefined && evalEvery > 0 && state.step % evalEvery === 0 && state.step < config.steps) await evaluate();
    }
    if (state.step === config.steps) {
      // The last step always has a checkpoint, unless this run wrote it already.
      if (store !== undefined && savedAt !== state.step) await saveCheckpoint();
      if (config.evaluation !== undefined) await evaluate();
    }
    emit({ type: 'end', step: state.step, seconds: (clock.now() - begin) / 1000 });
    return { step: state.step, history, evaluations };
  };

  if (logger.info !== undefined && clipNorm === undefined) logger.info('gradient clipping is off');

  return {
    model,
    margin,
    head,
    optimizer,
    get step() {
      return state.step;
    },
    history,
    evaluations,
    get lastCheckpoint() {
      return state.lastCheckpoint;
    },
    resume,
    train,
    trainStep,
    evaluate,
    saveCheckpoint,
    embed: (images, options) => embedImages(model, images, options),
    get stepMode() {
      return step.mode;
    },
    dispose(options = {}) {
      step.dispose();
      tf.dispose(state.slots.flat());
      state.slots = [];
      head.dispose();
      if (options.keepModel !== true) model.dispose();
    },
  };
}

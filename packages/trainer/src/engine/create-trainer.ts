import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createBackbone } from '@arcface/backbones';
import { evaluateVerification, hypersphereStatistics, verificationDistances } from '@arcface/core';
import { createDataPipeline, type DataPipeline, type FaceDataset } from '@arcface/data';
import { createMargin, marginSoftmaxLoss, meanTargetAngle, type MarginFn } from '@arcface/margins';
import type { CheckpointContents, NamedArray } from '../checkpoint/checkpoint-format';
import { fileCheckpointStore, type CheckpointStore } from '../checkpoint/checkpoint-store';
import { BatchTooLargeError, CheckpointError, EmbeddingSizeMismatchError, NonFiniteLossError, TrainerConfigError } from '../errors';
import { adaptChannels, embedImages, evaluationPlan } from '../evaluation/embed';
import type { VerificationSet } from '../evaluation/verification-set';
import { createHead } from '../heads/create-head';
import type { ClassificationHead } from '../heads/head';
import { clipByGlobalNorm } from '../optim/clip';
import { createOptimizer } from '../optim/create-optimizer';
import { checkSchedule, learningRate, type ScheduleConfig } from '../optim/learning-rate';
import type { Optimizer } from '../optim/optimizer';
import { backboneForward, checkGradientCheckpoints, type BackboneForward } from './backbone-forward';
import type { TrainerConfig } from './trainer-config';
import type { EvaluationReport, SetEvaluation, StepMetrics } from './trainer-events';

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
  /** Runs one optimiser step (with its accumulated micro-batches). */
  trainStep(): Promise<StepMetrics>;
  /** Verification on the configured sets and the Table 3 statistics, now. */
  evaluate(sets?: readonly VerificationSet[]): Promise<EvaluationReport>;
  /** Writes a checkpoint now; returns its path. */
  saveCheckpoint(): string;
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
 * schedule. Every check that can fail does so here, before any training: unknown backbone,
 * margin or optimiser names, a batch larger than the data, an embedding size that does not
 * match, a bad schedule.
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
 *   checkpoint: { store: 'runs/demo/checkpoints', every: 100 },
 *   onEvent: (e) => e.type === 'step' && console.log(e.step, e.loss, e.thetaY),
 * });
 * await trainer.train();
 * ```
 */
export function createTrainer(config: TrainerConfig): Trainer {
  const { data, batchSize, seed } = config;
  checkInteger('batchSize', batchSize, 1);
  checkInteger('steps', config.steps, 1);
  const accumulation = config.accumulationSteps ?? 1;
  checkInteger('accumulationSteps', accumulation, 1);
  const checkpoints = config.gradientCheckpoints ?? 'auto';
  checkGradientCheckpoints(checkpoints);
  if (!Number.isInteger(seed)) throw new TrainerConfigError('ERR_TRAINER_CONFIG', `seed must be an integer, got ${seed}`);
  if (batchSize > data.length) throw new BatchTooLargeError(batchSize, data.length);
  const optimizer = createOptimizer(config.optimizer ?? { name: 'sgd' });
  const schedule: ScheduleConfig = config.schedule ?? { type: 'polynomial', lr: 0.1, totalSteps: config.steps };
  checkSchedule(schedule);
  const margin = isMarginFn(config.margin) ? config.margin : createMargin(config.margin.name, config.margin.options ?? {});
  const backboneSpec = config.backbone instanceof tfl.LayersModel ? undefined : config.backbone;
  const model = backboneSpec === undefined ? (config.backbone as tfl.LayersModel) : createBackbone(backboneSpec.name, { seed, ...backboneSpec.options });
  // A model built here is freed again when a later check fails, so a bad config leaks nothing.
  const { height, width, embeddingSize, numClasses, head } = (() => {
    try {
      const inputShape = model.inputs[0]?.shape;
      const outputShape = model.outputs[0]?.shape;
      if (inputShape?.length !== 4 || outputShape?.length !== 2) {
        throw new TrainerConfigError('ERR_TRAINER_CONFIG', `the backbone must map [B, h, w, c] to [B, D], got [${inputShape}] → [${outputShape}]`);
      }
      const [height, width] = [inputShape[1] as number, inputShape[2] as number];
      const embeddingSize = outputShape[1] as number;
      if (config.embeddingSize !== undefined && config.embeddingSize !== embeddingSize) {
        throw new EmbeddingSizeMismatchError(embeddingSize, config.embeddingSize);
      }
      const numClasses = data.numClasses;
      const head =
        config.head !== undefined && 'prepare' in config.head
          ? config.head
          : createHead(config.head ?? { type: 'full' }, { numClasses, embeddingSize, seed });
      if (head.embeddingSize !== embeddingSize) throw new EmbeddingSizeMismatchError(embeddingSize, head.embeddingSize);
      if (head.numClasses !== numClasses) {
        throw new TrainerConfigError('ERR_CLASS_COUNT_MISMATCH', `the head has ${head.numClasses} classes but the data has ${numClasses}`);
      }
      return { height, width, embeddingSize, numClasses, head };
    } catch (error) {
      if (backboneSpec !== undefined) model.dispose();
      throw error;
    }
  })();
  const store: CheckpointStore | undefined =
    config.checkpoint === undefined
      ? undefined
      : typeof config.checkpoint.store === 'string'
        ? fileCheckpointStore(config.checkpoint.store, { keep: config.checkpoint.keep ?? 3 })
        : config.checkpoint.store;
  const checkpointEvery = config.checkpoint?.every ?? 100;
  const clipNorm = config.clipGradientNorm === undefined ? 5 : (config.clipGradientNorm ?? undefined);
  const clock = config.clock ?? Date;
  const emit = config.onEvent ?? (() => undefined);
  const record = config.metrics ?? (() => undefined);
  const logger = config.logger ?? console;

  const pipeline: DataPipeline = createDataPipeline(data, {
    batchSize,
    inputSize: [height, width],
    seed,
    shuffle: true,
    dropRemainder: true,
    augment: config.augment ?? false,
    prefetch: 0,
  });
  const trainable = () => model.trainableWeights.map((w) => w.read() as tf.Variable);
  let slots: tf.Variable[][] = [];
  let step = 0;
  let lastCheckpoint: string | undefined;
  const history: StepMetrics[] = [];
  const evaluations: EvaluationReport[] = [];

  const microBatch = async (index: number) => {
    const epoch = Math.floor(index / pipeline.batchesPerEpoch);
    const b = index % pipeline.batchesPerEpoch;
    const indices = pipeline.epochOrder(epoch).slice(b * batchSize, (b + 1) * batchSize);
    const { pixels, labels } = await pipeline.load(indices, epoch);
    return { epoch, pixels, labels };
  };

  // Chosen at the first step, for the backend active then.
  let forward: BackboneForward | undefined;
  const trainingForward = (): BackboneForward => (forward ??= backboneForward(model, checkpoints, batchSize * height * width));

  const trainStep = async (): Promise<StepMetrics> => {
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
        throw new NonFiniteLossError(step, loss, gradNorm, lastCheckpoint);
      }
      const t = step + 1;
      while (slots.length < vars.length) {
        const v = vars[slots.length] as tf.Variable;
        slots.push(optimizer.slots.map(() => tf.tidy(() => tf.variable(tf.zerosLike(v), false))));
      }
      tf.tidy(() => {
        vars.forEach((v, i) => {
          const own = slots[i] as tf.Variable[];
          const next = optimizer.update(v, clipped[i] as tf.Tensor, own, lr, t);
          v.assign(next.param);
          next.slots.forEach((s, k) => (own[k] as tf.Variable).assign(s));
        });
      });
      headStep.apply(centerGrad, optimizer, lr, t);
      tf.dispose([...clipped, centerGrad]);
      step = t;
      const seconds = Math.max(1e-9, (clock.now() - started) / 1000);
      const metrics: StepMetrics = {
        step,
        epoch: batches[0]?.epoch ?? 0,
        loss,
        lr,
        thetaY,
        gradNorm,
        imagesPerSecond: allLabels.length / seconds,
      };
      return metrics;
    } finally {
      headStep.dispose();
    }
  };

  const weightArrays = (): NamedArray[] => {
    const arrays: NamedArray[] = model.weights.map((w, i) => ({
      name: `model/${i}/${w.originalName}`,
      shape: w.shape as number[],
      data: w.read().dataSync() as Float32Array,
    }));
    slots.forEach((own, i) =>
      own.forEach((s, k) => arrays.push({ name: `slot/${i}/${optimizer.slots[k]}`, shape: s.shape, data: s.dataSync() as Float32Array })),
    );
    const headState = head.getState();
    arrays.push({ name: 'head/centers', shape: [numClasses, embeddingSize], data: headState.centers });
    headState.slots.forEach((s, k) => arrays.push({ name: `head/slot/${k}`, shape: [numClasses, embeddingSize], data: s }));
    return arrays;
  };

  const fingerprint = () => ({
    backbone: backboneSpec ?? { name: model.name },
    margin: { name: margin.name, options: margin.options },
    head: head.config,
    optimizer: { name: optimizer.name, options: optimizer.options },
    numClasses,
    embeddingSize,
    weights: model.weights.length,
    trainable: model.trainableWeights.length,
  });

  const saveCheckpoint = (): string => {
    if (store === undefined) throw new CheckpointError('no checkpoint store configured (config.checkpoint)');
    const contents: CheckpointContents = {
      meta: { step, seed, batchSize, accumulation, schedule, ...fingerprint() },
      arrays: weightArrays(),
    };
    lastCheckpoint = store.save(step, contents);
    emit({ type: 'checkpoint', step, path: lastCheckpoint });
    return lastCheckpoint;
  };

  const restore = (contents: CheckpointContents, path: string): void => {
    const meta = contents.meta as { step: number; numClasses: number; embeddingSize: number; weights: number; trainable: number; optimizer: { name: string } };
    const expected = fingerprint();
    for (const key of ['numClasses', 'embeddingSize', 'weights', 'trainable'] as const) {
      if (meta[key] !== expected[key]) {
        throw new CheckpointError(`${path}: ${key} is ${meta[key]} in the checkpoint but ${expected[key]} in this configuration`);
      }
    }
    if (meta.optimizer.name !== optimizer.name) {
      throw new CheckpointError(`${path}: written by optimizer '${meta.optimizer.name}', this run uses '${optimizer.name}'`);
    }
    const byName = new Map(contents.arrays.map((a) => [a.name, a]));
    const take = (name: string, shape: readonly number[]): Float32Array => {
      const a = byName.get(name);
      if (a === undefined) throw new CheckpointError(`${path}: array '${name}' is missing`);
      if (a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i])) {
        throw new CheckpointError(`${path}: '${name}' has shape [${a.shape}], expected [${shape}]`);
      }
      return a.data;
    };
    model.weights.forEach((w, i) => {
      const values = take(`model/${i}/${w.originalName}`, w.shape as number[]);
      tf.tidy(() => {
        w.write(tf.tensor(values, w.shape as number[]));
      });
    });
    const vars = trainable();
    tf.dispose(slots.flat());
    slots = [];
    if (byName.has('slot/0/' + optimizer.slots[0])) {
      slots = vars.map((v, i) => optimizer.slots.map((name) => tf.tidy(() => tf.variable(tf.tensor(take(`slot/${i}/${name}`, v.shape), v.shape), false))));
    }
    const headSlots: Float32Array[] = [];
    for (let k = 0; byName.has(`head/slot/${k}`); k++) headSlots.push(take(`head/slot/${k}`, [numClasses, embeddingSize]));
    head.setState({ centers: take('head/centers', [numClasses, embeddingSize]), slots: headSlots });
    step = meta.step;
    lastCheckpoint = path;
  };

  const resume = async (): Promise<string | undefined> => {
    const latest = store?.latest();
    if (latest === undefined) return undefined;
    restore(latest.contents, latest.path);
    return latest.path;
  };

  const evaluationConfig = config.evaluation;
  const embedDataset = async (dataset: VerificationSet['dataset'], indices: readonly number[], flip: boolean): Promise<tf.Tensor2D> => {
    const evalBatch = evaluationConfig?.batchSize ?? 64;
    const loader = createDataPipeline(asDataset(dataset), { batchSize: 1, inputSize: [height, width], shuffle: false, augment: false, prefetch: 0 });
    const parts: tf.Tensor2D[] = [];
    // Batch norm folded into the convolutions for the whole pass (MobileFaceNet: ~15% faster).
    const plan = evaluationPlan(model);
    const forward = plan === undefined ? undefined : (x: tf.Tensor4D) => plan.predict(x);
    try {
      for (let start = 0; start < indices.length; start += evalBatch) {
        const chunk = indices.slice(start, start + evalBatch);
        const { pixels } = await loader.load(chunk);
        const images = tf.tensor4d(pixels, [chunk.length, height, width, 3]);
        parts.push(embedImages(model, images, forward === undefined ? { flip } : { flip, forward }));
        images.dispose();
      }
    } finally {
      plan?.dispose();
    }
    const all = tf.concat(parts) as tf.Tensor2D;
    tf.dispose(parts);
    return all;
  };

  const evaluate = async (sets: readonly VerificationSet[] = evaluationConfig?.sets ?? []): Promise<EvaluationReport> => {
    const flip = evaluationConfig?.flip ?? true;
    const results: SetEvaluation[] = [];
    for (const set of sets) {
      const unique = [...new Set([...set.first, ...set.second])].sort((a, b) => a - b);
      const position = new Map(unique.map((v, i) => [v, i]));
      const embeddings = await embedDataset(set.dataset, unique, flip);
      const distances = tf.tidy(() => {
        const a = tf.gather(embeddings, set.first.map((i) => position.get(i) as number)) as tf.Tensor2D;
        const b = tf.gather(embeddings, set.second.map((i) => position.get(i) as number)) as tf.Tensor2D;
        return verificationDistances(a, b);
      });
      const values = await distances.data();
      tf.dispose([embeddings, distances]);
      results.push({ name: set.name, pairs: set.isSame.length, verification: evaluateVerification(values, set.isSame, { folds: set.folds ?? 10 }) });
    }
    const samples = Math.min(evaluationConfig?.statisticsSamples ?? 256, data.length);
    let statistics: EvaluationReport['statistics'];
    if (samples > 0) {
      // An evenly spaced sample of the training set, so every class is likely present.
      const indices = Array.from({ length: samples }, (_, i) => Math.floor((i * data.length) / samples));
      const sampled = Int32Array.from(indices, (i) => data.label(i));
      // Table 3 needs two centres and samples of two classes (W-Inter, Inter); fewer: none.
      if (numClasses >= 2 && new Set(sampled).size >= 2) {
        const embeddings = await embedDataset(data, indices, false);
        const centers = head.centers();
        const labels = tf.tensor1d(sampled, 'int32');
        try {
          statistics = await hypersphereStatistics(embeddings, labels, centers);
        } finally {
          tf.dispose([embeddings, centers, labels]);
        }
      }
    }
    const report: EvaluationReport = { step, sets: results, ...(statistics ? { statistics } : {}) };
    evaluations.push(report);
    record({ type: 'evaluation', step, statistics, sets: results.map((r) => ({ name: r.name, pairs: r.pairs, accuracy: r.verification.accuracy, auc: r.verification.auc, tarAtFar: r.verification.tarAtFar?.tar ?? null })) });
    emit({ type: 'evaluation', report });
    return report;
  };

  const train: Trainer['train'] = async (options = {}) => {
    const begin = clock.now();
    const until = Math.min(options.untilStep ?? config.steps, config.steps);
    let resumedFrom: string | undefined;
    if (config.checkpoint !== undefined && (config.checkpoint.resume ?? true) && step === 0) resumedFrom = await resume();
    emit({ type: 'start', step, totalSteps: config.steps, ...(resumedFrom ? { resumedFrom } : {}) });
    const evalEvery = evaluationConfig?.every ?? 0;
    while (step < until) {
      if (options.signal?.aborted) break;
      const metrics = await trainStep();
      history.push(metrics);
      record({ type: 'step', ...metrics });
      emit({ type: 'step', totalSteps: config.steps, ...metrics });
      if (store !== undefined && step % checkpointEvery === 0) saveCheckpoint();
      if (evaluationConfig !== undefined && evalEvery > 0 && step % evalEvery === 0 && step < config.steps) await evaluate();
    }
    if (step === config.steps) {
      if (store !== undefined && lastCheckpoint !== undefined && !lastCheckpoint.includes(String(step).padStart(9, '0'))) saveCheckpoint();
      else if (store !== undefined && lastCheckpoint === undefined) saveCheckpoint();
      if (evaluationConfig !== undefined) await evaluate();
    }
    emit({ type: 'end', step, seconds: (clock.now() - begin) / 1000 });
    return { step, history, evaluations };
  };

  if (logger.info !== undefined && clipNorm === undefined) logger.info('gradient clipping is off');

  return {
    model,
    margin,
    head,
    optimizer,
    get step() {
      return step;
    },
    history,
    evaluations,
    get lastCheckpoint() {
      return lastCheckpoint;
    },
    resume,
    train,
    trainStep: async () => {
      const metrics = await trainStep();
      history.push(metrics);
      record({ type: 'step', ...metrics });
      return metrics;
    },
    evaluate,
    saveCheckpoint,
    embed: (images, options) => embedImages(model, images, options),
    dispose(options = {}) {
      tf.dispose(slots.flat());
      slots = [];
      head.dispose();
      if (options.keepModel !== true) model.dispose();
    },
  };
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new TrainerConfigError('ERR_TRAINER_CONFIG', `${name} must be an integer ≥ ${min}, got ${value}`);
}

function isMarginFn(value: TrainerConfig['margin']): value is MarginFn {
  return typeof (value as MarginFn).logits === 'function';
}

/** Verification sets may carry only images; the loader needs labels it never reads. */
function asDataset(dataset: VerificationSet['dataset']): FaceDataset {
  return {
    length: dataset.length,
    numClasses: dataset.numClasses ?? 1,
    label: (i) => dataset.label?.(i) ?? 0,
    loadImage: (i) => dataset.loadImage(i),
  };
}

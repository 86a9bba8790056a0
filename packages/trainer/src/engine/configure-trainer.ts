import * as tfl from '@tensorflow/tfjs-layers';
import { createBackbone } from '@arcface/backbones';
import { createMargin, type MarginFn } from '@arcface/margins';
import type { CheckpointStore } from '../checkpoint/checkpoint-store-interface';
import { BatchTooLargeError, EmbeddingSizeMismatchError, TrainerConfigError } from '../errors';
import { createHead } from '../heads/create-head';
import type { ClassificationHead } from '../heads/head';
import { createOptimizer } from '../optim/create-optimizer';
import { checkSchedule, type ScheduleConfig } from '../optim/learning-rate';
import type { Optimizer } from '../optim/optimizer';
import { checkGradientCheckpoints, type GradientCheckpoints } from './backbone-forward';
import type { TrainerConfig } from './trainer-config';

/** A {@link TrainerConfig} with every default filled in and every part built and checked. */
export interface ResolvedTrainer {
  readonly config: TrainerConfig;
  readonly model: tfl.LayersModel;
  /** The backbone's registry settings when the model was built here (recorded in checkpoints). */
  readonly backboneSpec: Exclude<TrainerConfig['backbone'], tfl.LayersModel> | undefined;
  readonly margin: MarginFn;
  readonly head: ClassificationHead;
  readonly optimizer: Optimizer;
  readonly schedule: ScheduleConfig;
  readonly height: number;
  readonly width: number;
  readonly embeddingSize: number;
  readonly numClasses: number;
  readonly accumulation: number;
  readonly gradientCheckpoints: GradientCheckpoints;
  /** Global-norm clip of the backbone's gradient; undefined when off. */
  readonly clipNorm: number | undefined;
  readonly store: CheckpointStore | undefined;
  readonly checkpointEvery: number;
}

/**
 * Every check that can fail does so here, before any training: unknown backbone, margin or
 * optimiser names, a batch larger than the data, an embedding size that does not match, a bad
 * schedule. A model built here is freed again when a later check fails, so a bad config leaks
 * nothing.
 */
export function configureTrainer(config: TrainerConfig): ResolvedTrainer {
  const { data, batchSize, seed } = config;
  checkInteger('batchSize', batchSize, 1);
  checkInteger('steps', config.steps, 1);
  const accumulation = config.accumulationSteps ?? 1;
  checkInteger('accumulationSteps', accumulation, 1);
  const gradientCheckpoints = config.gradientCheckpoints ?? 'auto';
  checkGradientCheckpoints(gradientCheckpoints);
  if (!Number.isInteger(seed)) throw new TrainerConfigError('ERR_TRAINER_CONFIG', `seed must be an integer, got ${seed}`);
  if (batchSize > data.length) throw new BatchTooLargeError(batchSize, data.length);
  const checkpointEvery = config.checkpoint?.every ?? 100;
  checkInteger('checkpoint.every', checkpointEvery, 1);
  const store = config.checkpoint?.store;
  if (store !== undefined && typeof (store as Partial<CheckpointStore>).save !== 'function') {
    throw new TrainerConfigError(
      'ERR_TRAINER_CONFIG',
      'checkpoint.store must be a CheckpointStore: in Node, fileCheckpointStore(folder) from @arcface/trainer/node; in a browser, memoryCheckpointStore() or your own',
    );
  }
  const optimizer = createOptimizer(config.optimizer ?? { name: 'sgd' });
  const schedule: ScheduleConfig = config.schedule ?? { type: 'polynomial', lr: 0.1, totalSteps: config.steps };
  checkSchedule(schedule);
  const margin = isMarginFn(config.margin) ? config.margin : createMargin(config.margin.name, config.margin.options ?? {});
  const backboneSpec = config.backbone instanceof tfl.LayersModel ? undefined : config.backbone;
  const model = backboneSpec === undefined ? (config.backbone as tfl.LayersModel) : createBackbone(backboneSpec.name, { seed, ...backboneSpec.options });
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
      config.head !== undefined && 'prepare' in config.head ? config.head : createHead(config.head ?? { type: 'full' }, { numClasses, embeddingSize, seed });
    if (head.embeddingSize !== embeddingSize) throw new EmbeddingSizeMismatchError(embeddingSize, head.embeddingSize);
    if (head.numClasses !== numClasses) {
      throw new TrainerConfigError('ERR_CLASS_COUNT_MISMATCH', `the head has ${head.numClasses} classes but the data has ${numClasses}`);
    }
    return {
      config,
      model,
      backboneSpec,
      margin,
      head,
      optimizer,
      schedule,
      height,
      width,
      embeddingSize,
      numClasses,
      accumulation,
      gradientCheckpoints,
      clipNorm: config.clipGradientNorm === undefined ? 5 : (config.clipGradientNorm ?? undefined),
      store,
      checkpointEvery,
    };
  } catch (error) {
    if (backboneSpec !== undefined) model.dispose();
    throw error;
  }
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new TrainerConfigError('ERR_TRAINER_CONFIG', `${name} must be an integer ≥ ${min}, got ${value}`);
}

function isMarginFn(value: TrainerConfig['margin']): value is MarginFn {
  return typeof (value as MarginFn).logits === 'function';
}

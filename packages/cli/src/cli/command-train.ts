import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type * as tfl from '@tensorflow/tfjs-layers';
import { createBackbone } from '@arcface/backbones';
import { type AugmentOptions, type BadImagePolicy, type FaceDataset, formatBadImages, screenDataset } from '@arcface/data';
import { openImageFolder, openRecordIODataset } from '@arcface/data/node';
import { createMargin, type JsonValue, type MarginOptions } from '@arcface/margins';
import { createTrainer, type GradientCheckpoints } from '@arcface/trainer';
import { fileCheckpointStore } from '@arcface/trainer/node';

import { checkFaceFolder } from '../demo/demo-data';
import { OptionValueError } from './cli-errors';
import { loadModelFolder, saveModelFolder, type ModelMetadata } from './model-folder';
import type { DemoProgress } from '../demo/run-demo';

export interface TrainCommandOptions {
  readonly data: string;
  readonly margin: string;
  readonly marginOptions?: string;
  readonly backbone: string;
  readonly backboneOptions?: string;
  readonly imageSize: string;
  readonly embeddingSize: string;
  readonly steps?: string;
  readonly epochs?: string;
  readonly batchSize: string;
  readonly lr: string;
  readonly out: string;
  readonly resume?: boolean;
  readonly seed: string;
  readonly gradientCheckpoints?: string;
  /** `--augment`: training augmentation (see augmentOption). */
  readonly augment?: string;
  /** `stop` (default): list every unreadable image and stop before training; `skip`: train on the rest. */
  readonly onBadImage?: string;
  /** A model folder whose backbone (weights included) training starts from. */
  readonly init?: string;
}

/** Where `--on-bad-image skip` writes the images it left out, inside `--out`. */
export const SKIPPED_IMAGES_FILE = 'skipped-images.txt';

/** `--on-bad-image`: stop or skip. */
export function badImagePolicyOption(value: string | undefined): BadImagePolicy {
  if (value === undefined || value === 'stop' || value === 'skip') return value ?? 'stop';
  throw new OptionValueError(`--on-bad-image must be 'stop' or 'skip', got '${value}'`);
}

/** `--gradient-checkpoints`: auto, none, blocks or a positive segment count. */
export function gradientCheckpointsOption(value: string): GradientCheckpoints {
  if (value === 'auto' || value === 'none' || value === 'blocks') return value;
  return positive('gradient-checkpoints', value);
}

/** Parses a flag that must be a positive integer (or a positive number with `real`). */
export function positive(name: string, value: string, real = false): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0 && (real || Number.isInteger(n)))) {
    throw new OptionValueError(`--${name} must be a positive ${real ? 'number' : 'integer'}, got '${value}'`);
  }
  return n;
}

/** Parses a JSON-object flag such as `--margin-options '{"m": 0.5}'`. */
export function jsonObject(name: string, value: string | undefined): { [key: string]: JsonValue } {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new OptionValueError(`--${name} must be a JSON object such as '{"m": 0.5, "s": 32}', got '${value}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OptionValueError(`--${name} must be a JSON object such as '{"m": 0.5, "s": 32}', got '${value}'`);
  }
  return parsed as { [key: string]: JsonValue };
}

/**
 * Parses `--augment`: a JSON object of the data pipeline's augmentation (`flip`, `crop`,
 * `brightness`, `contrast`), e.g. `'{"flip": 0.5, "crop": {"scale": [0.8, 1]}}'`.
 */
export function augmentOption(value: string | undefined): AugmentOptions {
  if (value === undefined) return { flip: 0.5 };
  const parsed = jsonObject('augment', value);
  const known = new Set(['flip', 'crop', 'brightness', 'contrast']);
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new OptionValueError(`--augment: unknown key '${key}'; use flip, crop, brightness or contrast, e.g. '{"flip": 0.5, "crop": {"scale": [0.8, 1]}, "brightness": 0.2}'`);
  }
  const number01 = (key: string): void => {
    const v = parsed[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new OptionValueError(`--augment: ${key} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  };
  number01('flip');
  number01('brightness');
  number01('contrast');
  const crop = parsed.crop as { scale?: unknown } | undefined;
  if (crop !== undefined) {
    const scale = crop?.scale;
    if (!(Array.isArray(scale) && scale.length === 2 && scale.every((x) => typeof x === 'number') && (scale[0] as number) > 0 && (scale[0] as number) <= (scale[1] as number) && (scale[1] as number) <= 1)) {
      throw new OptionValueError(`--augment: crop must be {"scale": [low, high]} with 0 < low ≤ high ≤ 1, got ${JSON.stringify(crop)}`);
    }
  }
  return parsed as AugmentOptions;
}

/** Opens `--data`: a RecordIO `.rec` or a folder of identity folders. */
export async function openTrainingData(path: string, size: number): Promise<{ dataset: FaceDataset; close: () => Promise<void> }> {
  if (path.endsWith('.rec')) {
    const rec = await openRecordIODataset(path, { size });
    return { dataset: rec, close: () => rec.close() };
  }
  await checkFaceFolder(path);
  const folder = await openImageFolder(path, { size });
  return { dataset: folder, close: async () => undefined };
}

/**
 * `arcface train`: trains a backbone with a margin on a folder or `.rec`, writing checkpoints
 * to `<out>/checkpoints` and the final model to `<out>` (see `arcface eval`, `arcface embed`).
 */
export async function trainCommand(options: TrainCommandOptions, progress: DemoProgress): Promise<void> {
  const onBadImage = badImagePolicyOption(options.onBadImage);
  const size = positive('image-size', options.imageSize);
  const embeddingSize = positive('embedding-size', options.embeddingSize);
  const batchSize = positive('batch-size', options.batchSize);
  const lr = positive('lr', options.lr, true);
  const seed = Number(options.seed);
  const marginOptions: MarginOptions = jsonObject('margin-options', options.marginOptions);
  const augment = augmentOption(options.augment);
  // Build the margin first: an unknown name or a bad option fails before any data is read.
  const margin = createMargin(options.margin, marginOptions);
  let backbone: { name: string; options: { [key: string]: JsonValue | undefined } };
  let model: tfl.LayersModel;
  let inputShape: readonly [number, number, number];
  let source: ModelMetadata['source'];
  let embeddingWidth = embeddingSize;
  if (options.init !== undefined) {
    // Fine-tuning: the folder's backbone and weights; the trainer puts a new head on it for
    // the identities of --data. Its input size and normalisation come with it.
    const init = await loadModelFolder(options.init);
    model = init.model;
    backbone = init.metadata.backbone;
    inputShape = init.metadata.inputShape;
    embeddingWidth = init.metadata.embeddingSize;
    source = init.metadata.source;
  } else {
    const backboneOptions = { inputShape: [size, size, 3] as [number, number, number], embeddingSize, seed, ...jsonObject('backbone-options', options.backboneOptions) };
    model = createBackbone(options.backbone, backboneOptions);
    backbone = { name: options.backbone, options: backboneOptions };
    inputShape = [size, size, 3];
  }
  const opened = await openTrainingData(options.data, inputShape[0]);
  const { close } = opened;
  try {
    // Every image is checked before the first step: 'stop' lists all bad files at once (and a
    // set of fewer than two identities is refused), 'skip' trains on the rest and says where
    // the list of those it left out is.
    progress.log(`checking ${opened.dataset.length} images of '${options.data}'`);
    const { dataset, skipped } = await screenDataset(opened.dataset, { onBadImage });
    if (skipped.length > 0) {
      await mkdir(options.out, { recursive: true });
      const list = join(options.out, SKIPPED_IMAGES_FILE);
      await writeFile(list, formatBadImages(skipped));
      progress.log(`${skipped.length} skipped: unreadable images left out of ${opened.dataset.length}; list written to ${list}`);
    }
    const steps =
      options.steps !== undefined
        ? positive('steps', options.steps)
        : Math.ceil((positive('epochs', options.epochs ?? '1', true) * dataset.length) / batchSize);
    const checkpoints = join(options.out, 'checkpoints');
    const existing = await readdir(checkpoints).catch(() => [] as string[]);
    if (existing.length > 0 && options.resume !== true) {
      throw new OptionValueError(`'${checkpoints}' already holds checkpoints; pass --resume to continue that run, or choose another --out`);
    }
    const trainer = createTrainer({
      backbone: model,
      margin,
      data: dataset,
      batchSize,
      steps,
      seed,
      gradientCheckpoints: gradientCheckpointsOption(options.gradientCheckpoints ?? 'auto'),
      augment,
      schedule: { type: 'polynomial', lr, warmupSteps: Math.max(1, Math.round(steps / 10)), totalSteps: steps },
      checkpoint: { store: fileCheckpointStore(checkpoints, { keep: 3 }), every: Math.max(1, Math.round(steps / 5)), resume: options.resume === true },
      evaluation: { statisticsSamples: 0 },
      onEvent: (event) => {
        if (event.type === 'start') {
          if (event.resumedFrom !== undefined) progress.log(`resumed from ${event.resumedFrom} at step ${event.step}`);
          progress.start('train', event.totalSteps);
          progress.update(event.step);
        } else if (event.type === 'step') {
          progress.update(event.step, `loss ${event.loss.toFixed(3)} θ_y ${event.thetaY.toFixed(1)}°`);
        }
      },
      logger: { warn: (m) => progress.log(`warning: ${m}`) },
    });
    try {
      const result = await trainer.train();
      progress.stop();
      await saveModelFolder(options.out, trainer.model, {
        format: 'arcface-model',
        version: 1,
        backbone,
        inputShape,
        embeddingSize: embeddingWidth,
        margin: { name: margin.name, options: { ...margin.options } },
        classes: dataset.numClasses,
        steps: result.step,
        data: options.data,
        ...(source !== undefined ? { source } : {}),
        ...(options.init !== undefined ? { initialisedFrom: options.init } : {}),
        augment: JSON.parse(JSON.stringify(augment)) as JsonValue,
      });
      const last = result.history[result.history.length - 1];
      progress.log(`trained ${result.step} steps${last === undefined ? '' : `, last loss ${last.loss.toFixed(4)}`}; model written to ${options.out}`);
    } finally {
      trainer.dispose();
    }
  } finally {
    await close();
  }
}

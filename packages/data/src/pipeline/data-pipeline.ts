import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import type { FaceDataset } from '../dataset/face-dataset';
import { type BadImage, BadImagesError, ImageDecodeError } from '../errors';
import type { RgbImage } from '../image/rgb-image';
import { type BadImagePolicy, type ScreenOptions, screenDataset } from './screen-dataset';
import { normaliseInto } from '../image/to-tensor';
import { createRng, hashSeed } from '../random/rng';
import { augmentImage, type AugmentOptions } from './augment';

export interface DataPipelineOptions {
  batchSize: number;
  /** Model input, square side or [height, width] [112]. */
  inputSize?: number | readonly [number, number];
  seed?: number | string;
  /** Shuffle each epoch (a fresh seeded order per epoch) [true]. */
  shuffle?: boolean;
  /** Drop the last, smaller batch of an epoch [true]. */
  dropRemainder?: boolean;
  /** Augmentation; `false` or absent: resize only. */
  augment?: AugmentOptions | false;
  /** Batches prepared ahead in the background; memory stays within (prefetch + 1) batches [2]. */
  prefetch?: number;
  /** Images loaded at once within a batch [8]. */
  concurrency?: number;
  /**
   * An image that fails to decode during training (one the header check could not catch):
   * `stop` [default] throws its `ImageDecodeError`, naming the file; `skip` puts the next readable
   * sample of the epoch order in its place and lists it in `pipeline.skipped`.
   */
  onBadImage?: BadImagePolicy;
}

/** A batch ready for the model; the caller disposes `images` and `labels`. */
export interface Batch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  indices: number[];
  epoch: number;
  /** Index of this batch within its epoch. */
  batch: number;
}

/** Where an interrupted run stopped: resuming there replays the exact same data order and augmentations. */
export interface PipelinePosition {
  epoch: number;
  batch: number;
}

export interface DataPipeline {
  readonly batchesPerEpoch: number;
  /** Sample order of `epoch`: a pure function of (seed, epoch). */
  epochOrder(epoch: number): number[];
  /** Batches of one epoch, starting at `position.batch`, prefetched in the background. */
  epoch(position: PipelinePosition | number): AsyncGenerator<Batch>;
  /** Loads and preprocesses samples as the pipeline would (augmentation drawn for `epoch`). */
  load(indices: readonly number[], epoch?: number): Promise<{ pixels: Float32Array; labels: Int32Array }>;
  /** Images found unreadable while loading, under `onBadImage: 'skip'` (each listed once). */
  readonly skipped: readonly BadImage[];
}

/**
 * Shuffles, loads, augments, normalises and batches any {@link FaceDataset}. Every random choice
 * is keyed by (seed, epoch, sample), never by timing, so prefetching and resuming cannot change
 * what the model sees.
 *
 * @example
 * const pipeline = createDataPipeline(faces, { batchSize: 64, seed: 1, augment: { flip: 0.5 } });
 * for await (const { images, labels } of pipeline.epoch(0)) {
 *   // train on images [64, 112, 112, 3] and labels [64]
 *   tf.dispose([images, labels]);
 * }
 */
export function createDataPipeline(dataset: FaceDataset, options: DataPipelineOptions): DataPipeline {
  const { batchSize } = options;
  const [height, width] = typeof options.inputSize === 'number' ? [options.inputSize, options.inputSize] : (options.inputSize ?? [112, 112]);
  const seed = options.seed ?? 0;
  const shuffle = options.shuffle ?? true;
  const dropRemainder = options.dropRemainder ?? true;
  const augment = options.augment === false ? undefined : options.augment;
  const prefetch = options.prefetch ?? 2;
  const concurrency = options.concurrency ?? 8;
  const policy = options.onBadImage ?? 'stop';
  if (policy !== 'stop' && policy !== 'skip') throw new InvalidArgumentError(`onBadImage must be 'stop' or 'skip', got ${JSON.stringify(policy)}`);
  const skipped = new Map<number, BadImage>();
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(prefetch) || prefetch < 0) throw new InvalidArgumentError(`prefetch must be a non-negative integer, got ${prefetch}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
  if (![height, width].every((s) => Number.isInteger(s) && s >= 1)) throw new InvalidArgumentError(`inputSize must be positive integers, got ${options.inputSize}`);
  const n = dataset.length;
  const batchesPerEpoch = dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  if (batchesPerEpoch === 0) throw new InvalidArgumentError(`${n} samples make no full batch of ${batchSize}`);
  const per = height * width * 3;

  const epochOrder = (epoch: number): number[] => {
    const order = Array.from({ length: n }, (_, i) => i);
    return shuffle ? createRng(hashSeed(seed, 'order', epoch)).shuffle(order) : order;
  };

  // Under 'skip' a bad sample's place goes to the next sample (by index, wrapping) that reads:
  // a pure function of the data, so resuming still replays the same batches.
  const loadReadable = async (index: number): Promise<[number, RgbImage]> => {
    for (let tries = 0, i = index; tries < n; tries++, i = (i + 1) % n) {
      if (skipped.has(i)) continue;
      try {
        return [i, await dataset.loadImage(i)];
      } catch (error) {
        if (policy === 'stop' || !(error instanceof ImageDecodeError)) throw error;
        const source = error.source ?? dataset.describe?.(i) ?? `sample ${i}`;
        skipped.set(i, { index: i, source, reason: error.message });
      }
    }
    throw new BadImagesError([...skipped.values()], n);
  };

  const load = async (indices: readonly number[], epoch = 0): Promise<{ pixels: Float32Array; labels: Int32Array }> => {
    const pixels = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    for (let start = 0; start < indices.length; start += concurrency) {
      await Promise.all(
        indices.slice(start, start + concurrency).map(async (index, k) => {
          const slot = start + k;
          const [used, image] = await loadReadable(index);
          const rng = createRng(hashSeed(seed, 'augment', epoch, used));
          normaliseInto(augmentImage(image, width, height, augment, rng), pixels, slot * per);
          labels[slot] = dataset.label(used);
        }),
      );
    }
    return { pixels, labels };
  };

  async function* epochBatches(position: PipelinePosition | number): AsyncGenerator<Batch> {
    const { epoch, batch: start } = typeof position === 'number' ? { epoch: position, batch: 0 } : position;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(start) || start < 0 || start > batchesPerEpoch) {
      throw new InvalidArgumentError(`invalid pipeline position ${JSON.stringify(position)} (${batchesPerEpoch} batches per epoch)`);
    }
    const order = epochOrder(epoch);
    const indicesOf = (b: number): number[] => order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
    const pending: Array<Promise<{ pixels: Float32Array; labels: Int32Array }>> = [];
    let next = start;
    const fill = (): void => {
      while (pending.length <= prefetch && next < batchesPerEpoch) {
        const promise = load(indicesOf(next++), epoch);
        // Handled when awaited below; this keeps an early exit from reporting it as unhandled.
        promise.catch(() => undefined);
        pending.push(promise);
      }
    };
    for (let b = start; b < batchesPerEpoch; b++) {
      fill();
      const { pixels, labels } = await (pending.shift() as Promise<{ pixels: Float32Array; labels: Int32Array }>);
      fill();
      const count = labels.length;
      yield {
        images: tf.tensor4d(pixels, [count, height, width, 3], 'float32'),
        labels: tf.tensor1d(labels, 'int32'),
        indices: indicesOf(b),
        epoch,
        batch: b,
      };
    }
  }

  return {
    batchesPerEpoch,
    epochOrder,
    epoch: epochBatches,
    load,
    get skipped() {
      return [...skipped.values()].sort((a, b) => a.index - b.index);
    },
  };
}

/** A pipeline over a screened set, and what the screening left out. */
export interface CheckedDataPipeline {
  readonly pipeline: DataPipeline;
  /** The samples the pipeline draws from: the input set less its unreadable images. */
  readonly dataset: FaceDataset;
  /** Images the validation pass left out under `onBadImage: 'skip'`. */
  readonly skipped: readonly BadImage[];
}

/**
 * {@link screenDataset} then {@link createDataPipeline}: every image is checked before the first
 * batch, so `onBadImage: 'stop'` (the default) fails before training starts with one
 * `BadImagesError` listing every unreadable file, and `'skip'` trains on the rest. A set left
 * with fewer than two identities is refused with `TooFewIdentitiesError`.
 *
 * @example
 * const { pipeline, skipped } = await createCheckedDataPipeline(await openImageFolder('faces'), {
 *   batchSize: 64, onBadImage: 'skip',
 * });
 * console.log(`${skipped.length} skipped`);
 */
export async function createCheckedDataPipeline(
  dataset: FaceDataset,
  options: DataPipelineOptions & Pick<ScreenOptions, 'onProgress'>,
): Promise<CheckedDataPipeline> {
  const { onProgress, ...pipelineOptions } = options;
  const screened = await screenDataset(dataset, { ...(options.onBadImage ? { onBadImage: options.onBadImage } : {}), ...(onProgress ? { onProgress } : {}) });
  return { pipeline: createDataPipeline(screened.dataset, pipelineOptions), dataset: screened.dataset, skipped: screened.skipped };
}

import { InvalidArgumentError } from '@arcface/core';
import type { RgbImage } from '../image/rgb-image';

/**
 * What the trainer needs of any labelled face set: synthetic faces, image folders and RecordIO
 * sets all implement it. Labels are class ids in [0, numClasses); images load asynchronously
 * (from disk, a decoder, or a renderer) as RGB of any size: the pipeline resizes them.
 */
export interface FaceDataset {
  readonly length: number;
  readonly numClasses: number;
  label(index: number): number;
  loadImage(index: number): Promise<RgbImage>;
  /** Where sample `index` comes from (a path, `train.rec record 17`), for messages. */
  describe?(index: number): string;
  /**
   * Checks that sample `index` can be read, cheaply (the header and end marker, not the pixels,
   * where the format allows); throws `ImageDecodeError` naming the file. Sets without it are
   * checked through `loadImage`.
   */
  checkImage?(index: number): Promise<void>;
}

/** Throws unless `index` is an integer in [0, length). */
export function checkIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new InvalidArgumentError(`index ${index} is out of range [0, ${length})`);
  }
}

/** Every label of a dataset, in order. */
export function datasetLabels(dataset: FaceDataset): Int32Array {
  const labels = new Int32Array(dataset.length);
  for (let i = 0; i < dataset.length; i++) labels[i] = dataset.label(i);
  return labels;
}

/**
 * A view of some samples of a dataset. With `relabel` (the default), the classes that occur are
 * renumbered 0…k−1 in ascending order of their original id, so a split's training part has
 * contiguous class ids.
 *
 * @example
 * const { train } = splitByIdentity(labels, { heldOutFraction: 0.2, seed: 1 });
 * const trainSet = subsetDataset(faces, train);
 */
export function subsetDataset(dataset: FaceDataset, indices: readonly number[], relabel = true): FaceDataset {
  for (const i of indices) checkIndex(i, dataset.length);
  const mapping = new Map<number, number>();
  if (relabel) {
    const classes = [...new Set(indices.map((i) => dataset.label(i)))].sort((a, b) => a - b);
    classes.forEach((c, k) => mapping.set(c, k));
  }
  const picked = [...indices];
  return {
    length: picked.length,
    numClasses: relabel ? mapping.size : dataset.numClasses,
    label(index) {
      checkIndex(index, picked.length);
      const original = dataset.label(picked[index] as number);
      return relabel ? (mapping.get(original) as number) : original;
    },
    loadImage(index) {
      checkIndex(index, picked.length);
      return dataset.loadImage(picked[index] as number);
    },
    ...(dataset.describe
      ? {
          describe: (index: number) => {
            checkIndex(index, picked.length);
            return (dataset.describe as (i: number) => string)(picked[index] as number);
          },
        }
      : {}),
    ...(dataset.checkImage
      ? {
          checkImage: (index: number) => {
            checkIndex(index, picked.length);
            return (dataset.checkImage as (i: number) => Promise<void>)(picked[index] as number);
          },
        }
      : {}),
  };
}

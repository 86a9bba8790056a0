import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { createSyntheticFaces, imagesToTensor, resizeImage, splitByIdentity, type RgbImage } from '@arcface/data';
import { openImageFolder } from '@arcface/data/node';

import { DataFolderError, EmptyIdentityError, UnreadableImageError } from './demo-errors';

/** Labelled images in memory, normalised, ready to train or embed. */
export interface ImageSet {
  readonly images: tf.Tensor4D;
  /** Class ids in [0, classes). */
  readonly labels: Int32Array;
  readonly classes: number;
}

/** The demo's data: training identities and held-out identities, disjoint. */
export interface DemoData {
  readonly source: string;
  readonly train: ImageSet;
  readonly heldOut: ImageSet;
  dispose(): void;
}

function relabel(labels: readonly number[]): { labels: Int32Array; classes: number } {
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const index = new Map(classes.map((c, k) => [c, k]));
  return { labels: Int32Array.from(labels, (l) => index.get(l) as number), classes: classes.length };
}

/** Options of the embedded synthetic set. */
export interface SyntheticDataOptions {
  readonly trainIdentities: number;
  readonly heldOutIdentities: number;
  readonly imagesPerIdentity: number;
  readonly size: number;
  readonly seed: number;
  readonly difficulty?: number;
  readonly conditions?: 'classic' | 'wild';
  readonly backdrop?: 'varied' | 'plain';
}

/**
 * The embedded synthetic faces: identities are drawn by seed, the first `trainIdentities`
 * train and the rest are held out (every identity is an independent draw, so which ones are
 * held out does not matter).
 */
export function syntheticDemoData(options: SyntheticDataOptions): DemoData {
  const identities = options.trainIdentities + options.heldOutIdentities;
  const faces = createSyntheticFaces({
    identities,
    imagesPerIdentity: options.imagesPerIdentity,
    size: options.size,
    seed: options.seed,
    difficulty: options.difficulty ?? 0.5,
    cacheSize: 0,
    ...(options.conditions === undefined ? {} : { conditions: options.conditions }),
    ...(options.backdrop === undefined ? {} : { backdrop: options.backdrop }),
  });
  const split = options.trainIdentities * options.imagesPerIdentity;
  const all = Array.from({ length: faces.length }, (_, i) => i);
  const trainIdx = all.slice(0, split);
  const heldIdx = all.slice(split);
  const make = (indices: number[]): ImageSet => {
    const { labels, classes } = relabel(indices.map((i) => faces.labels[i] as number));
    const images = indices.length === 0 ? (tf.zeros([0, options.size, options.size, 3]) as tf.Tensor4D) : faces.batch(indices);
    return { images, labels, classes };
  };
  const train = make(trainIdx);
  const heldOut = make(heldIdx);
  return {
    source: `synthetic faces (seed ${options.seed}, difficulty ${options.difficulty ?? 0.5}, ${options.conditions ?? 'classic'} conditions, ${options.backdrop ?? 'varied'} backdrop)`,
    train,
    heldOut,
    dispose: () => tf.dispose([train.images, heldOut.images]),
  };
}

/**
 * Checks a `root/identity/image` folder before reading it, so the user learns which folder is
 * wrong: missing root, no identity folders, an identity folder without images.
 */
export async function checkFaceFolder(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (info === undefined) throw new DataFolderError(`data folder '${root}' does not exist; pass --data <folder> with one sub-folder of images per identity`);
  if (!info.isDirectory()) throw new DataFolderError(`'${root}' is not a folder; pass --data <folder> with one sub-folder of images per identity`);
  const entries = await readdir(root, { withFileTypes: true });
  const identities = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (identities.length === 0) {
    throw new DataFolderError(`'${root}' has no identity sub-folders; lay the images out as <folder>/<identity>/<image>`);
  }
  for (const dir of identities) {
    const files = (await readdir(join(root, dir.name), { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.'));
    if (files.length === 0) throw new EmptyIdentityError(dir.name, root);
  }
}

/** Reads every image of a face folder, resized to `size × size`, with its identity. */
export async function readFaceFolder(root: string, size: number): Promise<{ images: RgbImage[]; labels: number[]; identities: readonly string[] }> {
  await checkFaceFolder(root);
  const folder = await openImageFolder(root);
  const images: RgbImage[] = [];
  const labels: number[] = [];
  for (let i = 0; i < folder.length; i += 1) {
    let image: RgbImage;
    try {
      image = await folder.loadImage(i);
    } catch (cause) {
      throw new UnreadableImageError(join(root, folder.files[i] as string), { cause });
    }
    images.push(resizeImage(image, size, size));
    labels.push(folder.label(i));
  }
  return { images, labels, identities: folder.identities };
}

/**
 * A real face folder (for example ORL): identities split by a seeded draw into training and
 * held-out identities.
 */
export async function folderDemoData(root: string, options: { size: number; heldOutIdentities: number; seed: number }): Promise<DemoData> {
  const { images, labels, identities } = await readFaceFolder(root, options.size);
  if (identities.length < options.heldOutIdentities + 2) {
    throw new DataFolderError(
      `'${root}' has ${identities.length} identities; the demo needs at least ${options.heldOutIdentities + 2} (${options.heldOutIdentities} are held out for verification)`,
    );
  }
  const split = splitByIdentity(labels, { heldOutIdentities: options.heldOutIdentities, seed: options.seed });
  const make = (indices: number[]): ImageSet => {
    const { labels: l, classes } = relabel(indices.map((i) => labels[i] as number));
    return { images: imagesToTensor(indices.map((i) => images[i] as RgbImage)), labels: l, classes };
  };
  const train = make(split.train);
  const heldOut = make(split.heldOut);
  return { source: `${root} (${identities.length} identities)`, train, heldOut, dispose: () => tf.dispose([train.images, heldOut.images]) };
}

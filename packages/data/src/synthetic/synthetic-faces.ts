import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import { checkIndex, type FaceDataset } from '../dataset/face-dataset';
import type { RgbImage } from '../image/rgb-image';
import { imagesToTensor } from '../image/to-tensor';
import { createRng, hashSeed } from '../random/rng';
import { type FaceIdentity, type Rgb, sampleIdentity } from './face-identity';
import { type FaceConditions, type FaceVariation, sampleVariation } from './face-variation';
import { renderFace } from './render-face';

export interface SyntheticFacesOptions {
  /** Number of people (classes). */
  identities: number;
  imagesPerIdentity: number;
  /** Side of the square images in pixels [112]. */
  size?: number;
  /** Seed of everything: same seed, same bytes, in Node and in browsers [0]. */
  seed?: number | string;
  /** 0…1: how much pose, light, expression, occlusion and noise vary between images [0.5]. */
  difficulty?: number;
  /** Rendered images kept in memory, most recent first [256]. */
  cacheSize?: number;
  /**
   * `'varied'` draws a new backdrop and shirt for every image; `'plain'` puts everybody in front
   * of the same mid-grey backdrop in the same grey shirt [`'varied'`]. On small images the
   * backdrop and clothes cover most pixels: a small network then learns them rather than the
   * face. Pose, light, expression, occlusion and noise are drawn exactly as with `'varied'`.
   */
  backdrop?: SyntheticBackdrop;
  /**
   * `'classic'`: a lit studio, the set's behaviour since its first release (same seed, same
   * bytes). `'wild'`: harsh side light that darkens half the face, strong and dim exposures,
   * wider pose and expression, more occlusion: variation a model must learn to ignore, as on
   * real face sets [`'classic'`].
   */
  conditions?: FaceConditions;
}

/** How the backdrop and clothing of synthetic faces change between images. */
export type SyntheticBackdrop = 'varied' | 'plain';

/** The studio of `backdrop: 'plain'`: one mid-grey backdrop and shirt (before light noise and white balance). */
export const PLAIN_BACKDROP_GREY: Rgb = [0.5, 0.5, 0.5];

/** A seeded synthetic face set; image i is person `labels[i]`'s image number `i % imagesPerIdentity`. */
export interface SyntheticFaces extends FaceDataset {
  readonly size: number;
  readonly seed: number | string;
  readonly difficulty: number;
  readonly backdrop: SyntheticBackdrop;
  readonly conditions: FaceConditions;
  readonly identities: number;
  readonly imagesPerIdentity: number;
  /** Class id of every image (image i belongs to identity ⌊i / imagesPerIdentity⌋). */
  readonly labels: Int32Array;
  /** Image i as RGB bytes, `size × size × 3`, rendered on demand (and cached). */
  image(index: number): Uint8Array;
  /** Images as a normalised float32 tensor `[N, size, size, 3]`, values (x/255 − 0.5)/0.5. */
  batch(indices: readonly number[]): tf.Tensor4D;
  /** The parameter vector of identity `c`. */
  identity(c: number): FaceIdentity;
  /** The variation drawn for image i. */
  variation(index: number): FaceVariation;
}

/**
 * Creates a deterministic synthetic face set: each identity is a random parameter vector (face
 * shape, eyes, brows, nose, mouth, skin, hair, glasses, facial hair, marks), each image a random
 * variation (pose, light, expression, occlusion, noise, blur). Everything is drawn from
 * streams keyed by (seed, identity) and (seed, identity, image), so any image can be rendered
 * alone, in any order, with the same bytes. Rendering is plain TypeScript (no canvas).
 *
 * @example
 * const faces = createSyntheticFaces({ identities: 100, imagesPerIdentity: 20, seed: 1 });
 * const x = faces.batch([0, 1, 2, 3]); // [4, 112, 112, 3]
 * const y = faces.labels.subarray(0, 4); // [0, 0, 0, 0]
 * x.dispose();
 * // The same people in front of one grey backdrop, for small toy runs:
 * const plain = createSyntheticFaces({ identities: 8, imagesPerIdentity: 40, size: 16, seed: 1, backdrop: 'plain' });
 */
export function createSyntheticFaces(options: SyntheticFacesOptions): SyntheticFaces {
  const { identities, imagesPerIdentity } = options;
  const size = options.size ?? 112;
  const seed = options.seed ?? 0;
  const difficulty = options.difficulty ?? 0.5;
  const cacheSize = options.cacheSize ?? 256;
  const backdrop = options.backdrop ?? 'varied';
  const conditions = options.conditions ?? 'classic';
  if (!Number.isInteger(identities) || identities < 1) throw new InvalidArgumentError(`identities must be a positive integer, got ${identities}`);
  if (!Number.isInteger(imagesPerIdentity) || imagesPerIdentity < 1) {
    throw new InvalidArgumentError(`imagesPerIdentity must be a positive integer, got ${imagesPerIdentity}`);
  }
  if (!(difficulty >= 0 && difficulty <= 1)) throw new InvalidArgumentError(`difficulty must be in [0, 1], got ${difficulty}`);
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new InvalidArgumentError(`size must be an integer in [8, 4096], got ${size}`);
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new InvalidArgumentError(`cacheSize must be a non-negative integer, got ${cacheSize}`);
  if (backdrop !== 'varied' && backdrop !== 'plain') throw new InvalidArgumentError(`backdrop must be 'varied' or 'plain', got ${String(backdrop)}`);
  if (conditions !== 'classic' && conditions !== 'wild') throw new InvalidArgumentError(`conditions must be 'classic' or 'wild', got ${String(conditions)}`);
  // Seeds of the streams: hashing (seed, label, …) keeps every identity and image independent.
  const root = hashSeed(seed, 'synthetic-faces');
  const length = identities * imagesPerIdentity;
  const labels = new Int32Array(length);
  for (let i = 0; i < length; i++) labels[i] = Math.floor(i / imagesPerIdentity);

  const identityCache = new Map<number, FaceIdentity>();
  const identity = (c: number): FaceIdentity => {
    checkIndex(c, identities);
    let person = identityCache.get(c);
    if (person === undefined) {
      person = sampleIdentity(createRng(hashSeed(root, 'identity', c)));
      identityCache.set(c, person);
    }
    return person;
  };
  const variation = (index: number): FaceVariation => {
    checkIndex(index, length);
    const c = labels[index] as number;
    const k = index - c * imagesPerIdentity;
    const drawn = sampleVariation(createRng(hashSeed(root, 'image', c, k)), identity(c), difficulty, conditions);
    // The backdrop is still drawn, so every other part of the variation (pose, light, noise…)
    // is the same with either backdrop.
    return backdrop === 'plain' ? { ...drawn, background: [PLAIN_BACKDROP_GREY, PLAIN_BACKDROP_GREY], clothing: PLAIN_BACKDROP_GREY } : drawn;
  };
  // A small LRU cache (Map keeps insertion order): epochs revisit images, batches repeat.
  const cache = new Map<number, Uint8Array>();
  const image = (index: number): Uint8Array => {
    checkIndex(index, length);
    const hit = cache.get(index);
    if (hit !== undefined) {
      cache.delete(index);
      cache.set(index, hit);
      return hit;
    }
    const pixels = renderFace(identity(labels[index] as number), variation(index), size);
    if (cacheSize > 0) {
      cache.set(index, pixels);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as number);
    }
    return pixels;
  };
  const rgb = (index: number): RgbImage => ({ width: size, height: size, data: image(index) });
  return {
    length,
    numClasses: identities,
    size,
    seed,
    difficulty,
    backdrop,
    conditions,
    identities,
    imagesPerIdentity,
    labels,
    label(index) {
      checkIndex(index, length);
      return labels[index] as number;
    },
    image,
    loadImage: (index) => Promise.resolve(rgb(index)),
    batch: (indices) => imagesToTensor(indices.map(rgb)),
    identity,
    variation,
  };
}

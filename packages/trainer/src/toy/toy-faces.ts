import { InvalidArgumentError } from '@arcface/core';
import { centreInputs, createSyntheticFaces } from '@arcface/data';

/** Settings of the toy experiment's face set. */
export interface ToyFacesOptions {
  readonly identities: number;
  readonly imagesPerIdentity: number;
  /** Side of the square images in pixels. */
  readonly size: number;
  readonly seed: number;
  /** 0…1: how much pose, light, expression, occlusion and noise vary (as in `createSyntheticFaces`). */
  readonly difficulty: number;
}

/** Flattened toy images with their identities. */
export interface ToyFaces {
  /**
   * `count × inputSize` values: pixels scaled to [−1, 1], then centred on the mean face of the
   * set and divided by the root mean square of what is left.
   */
  readonly inputs: Float32Array;
  /** Identity of each image: image i belongs to ⌊i / imagesPerIdentity⌋. */
  readonly labels: Int32Array;
  /** The rendered images as RGB bytes, `count × inputSize` (what a page shows). */
  readonly pixels: Uint8Array;
  /** Side of the square images in pixels. */
  readonly size: number;
  readonly identities: number;
  /** Values per image: size × size × 3. */
  readonly inputSize: number;
}

/**
 * The toy experiment's faces: `createSyntheticFaces` with `backdrop: 'plain'`. With a new
 * backdrop and shirt in every image (the default), these cover most of a 16×16 image and a
 * two-layer network spends its steps on them instead of the faces. The pixels are centred on
 * the mean face: what all faces share would otherwise push every feature the same way at the
 * start, and the 2-D features would collapse onto one side of the circle.
 *
 * @example
 * ```ts
 * const faces = createToyFaces({ identities: 8, imagesPerIdentity: 40, size: 16, seed: 7, difficulty: 0.3 });
 * faces.inputs.length; // 8 · 40 · 16 · 16 · 3
 * ```
 */
export function createToyFaces(options: ToyFacesOptions): ToyFaces {
  const { identities, imagesPerIdentity, size, seed, difficulty } = options;
  if (!Number.isInteger(identities) || identities < 2) throw new InvalidArgumentError(`createToyFaces: identities must be an integer ≥ 2, got ${identities}`);
  const faces = createSyntheticFaces({ identities, imagesPerIdentity, size, seed, difficulty, backdrop: 'plain', cacheSize: 0 });
  const inputSize = size * size * 3;
  const count = faces.length;
  const inputs = new Float32Array(count * inputSize);
  const pixels = new Uint8Array(count * inputSize);
  for (let i = 0; i < count; i += 1) {
    const image = faces.image(i);
    pixels.set(image, i * inputSize);
    for (let p = 0; p < inputSize; p += 1) inputs[i * inputSize + p] = (image[p] as number) / 127.5 - 1;
  }
  centreInputs(inputs, count, inputSize);
  return { inputs, labels: faces.labels.slice(), pixels, size, identities, inputSize };
}

import { centreInputs, createRng, hashSeed, renderFace, sampleIdentity, sampleVariation, type Rgb } from '@arcface/data';

/** Settings of the toy's face set. */
export interface ToyFacesOptions {
  readonly identities: number;
  readonly imagesPerIdentity: number;
  /** Side of the square images in pixels. */
  readonly size: number;
  readonly seed: number;
  /** 0…1: how much pose, light, expression, occlusion and noise vary (as in `createSyntheticFaces`). */
  readonly difficulty: number;
}

/** Flattened RGB images of the toy run with their identities. */
export interface ToyFaces {
  /**
   * `count × inputSize` values: pixels scaled to [−1, 1] as `SyntheticFaces.batch` scales them,
   * then centred on the mean face of the set and divided by their root mean square.
   */
  readonly inputs: Float32Array;
  /** Identity of each image: image i belongs to ⌊i / imagesPerIdentity⌋. */
  readonly labels: Int32Array;
  /** The rendered images as RGB bytes, `count × inputSize`: what the page shows. */
  readonly pixels: Uint8Array;
  readonly size: number;
  readonly identities: number;
  /** Values per image: size × size × 3. */
  readonly inputSize: number;
}

/** The toy's photo studio: one neutral backdrop and shirt for everybody. */
const STUDIO_GREY: Rgb = [0.5, 0.5, 0.5];

/**
 * The toy experiment's faces, from the synthetic face model of `@arcface/data`: identities
 * from `sampleIdentity`, each image's pose, light, expression, occlusion and noise from
 * `sampleVariation`, drawn by `renderFace` (plain TypeScript: every browser gets the same
 * bytes). One change: backdrop and clothing, which `sampleVariation` draws anew for every image
 * and which cover most of a small image, are the same grey for everybody. With them, a
 * two-layer network on 8 people spends its few hundred live steps learning backgrounds; without
 * them, it learns the faces, as the paper's toy does. The pixels are then centred on the mean
 * face: what all faces share would otherwise point every feature the same way at the start,
 * and the features collapse instead of spreading over the circle.
 *
 * @example
 * const faces = createToyFaces({ identities: 8, imagesPerIdentity: 40, size: 24, seed: 7, difficulty: 0.3 });
 * faces.inputs.length; // 8 · 40 · 24 · 24 · 3
 */
export function createToyFaces(options: ToyFacesOptions): ToyFaces {
  const { identities, imagesPerIdentity, size, seed, difficulty } = options;
  const inputSize = size * size * 3;
  const count = identities * imagesPerIdentity;
  const inputs = new Float32Array(count * inputSize);
  const labels = new Int32Array(count);
  const pixels = new Uint8Array(count * inputSize);
  // Streams keyed by (seed, identity) and (seed, identity, image): any image can be redrawn alone.
  const root = hashSeed(seed, 'playground-toy-faces');
  for (let c = 0; c < identities; c += 1) {
    const person = sampleIdentity(createRng(hashSeed(root, 'identity', c)));
    for (let k = 0; k < imagesPerIdentity; k += 1) {
      const sampled = sampleVariation(createRng(hashSeed(root, 'image', c, k)), person, difficulty);
      const index = c * imagesPerIdentity + k;
      const base = index * inputSize;
      const image = pixels.subarray(base, base + inputSize);
      renderFace(person, { ...sampled, background: [STUDIO_GREY, STUDIO_GREY], clothing: STUDIO_GREY }, size, image);
      labels[index] = c;
      for (let p = 0; p < inputSize; p += 1) inputs[base + p] = (image[p] as number) / 127.5 - 1;
    }
  }
  centreInputs(inputs, count, inputSize);
  return { inputs, labels, pixels, size, identities, inputSize };
}

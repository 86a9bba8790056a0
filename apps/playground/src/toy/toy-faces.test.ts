import { createSyntheticFaces } from '@arcface/data';
import { describe, expect, it } from 'vitest';
import { createToyFaces } from './toy-faces';

const OPTIONS = { identities: 8, imagesPerIdentity: 8, size: 16, seed: 7, difficulty: 0.3 };

/** Leave-one-out nearest-mean classification on raw pixels: how much of an image says who it is. */
function nearestMeanAccuracy(inputs: ArrayLike<number>, labels: ArrayLike<number>, inputSize: number, identities: number): number {
  const count = labels.length;
  const sums = new Float64Array(identities * inputSize);
  const sizes = new Int32Array(identities);
  for (let i = 0; i < count; i += 1) {
    const c = labels[i] as number;
    sizes[c] = (sizes[c] as number) + 1;
    for (let k = 0; k < inputSize; k += 1) sums[c * inputSize + k] = (sums[c * inputSize + k] as number) + (inputs[i * inputSize + k] as number);
  }
  let correct = 0;
  for (let i = 0; i < count; i += 1) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < identities; c += 1) {
      const own = c === labels[i];
      const n = (sizes[c] as number) - (own ? 1 : 0);
      let distance = 0;
      for (let k = 0; k < inputSize; k += 1) {
        const x = inputs[i * inputSize + k] as number;
        distance += (x - ((sums[c * inputSize + k] as number) - (own ? x : 0)) / n) ** 2;
      }
      if (distance < bestDistance) [best, bestDistance] = [c, distance];
    }
    if (best === labels[i]) correct += 1;
  }
  return correct / count;
}

describe('createToyFaces', () => {
  const faces = createToyFaces(OPTIONS);
  const count = OPTIONS.identities * OPTIONS.imagesPerIdentity;

  it('lays out every image of every identity, the same on every call', () => {
    expect(faces.inputSize).toBe(16 * 16 * 3);
    expect(faces.inputs.length).toBe(count * faces.inputSize);
    expect(Array.from(faces.labels)).toEqual(Array.from({ length: count }, (_, i) => Math.floor(i / 8)));
    expect(createToyFaces(OPTIONS).inputs).toEqual(faces.inputs);
    expect(createToyFaces({ ...OPTIONS, seed: 8 }).inputs).not.toEqual(faces.inputs);
    expect(faces.inputs.every(Number.isFinite)).toBe(true);
  });

  it('centres every pixel on the mean face and scales to unit root mean square', () => {
    let squares = 0;
    for (let p = 0; p < faces.inputSize; p += 1) {
      let sum = 0;
      for (let i = 0; i < count; i += 1) sum += faces.inputs[i * faces.inputSize + p] as number;
      expect(Math.abs(sum / count)).toBeLessThan(1e-5);
    }
    for (const value of faces.inputs) squares += value * value;
    expect(Math.sqrt(squares / faces.inputs.length)).toBeCloseTo(1, 5);
  });

  it('says more about identity than the library set with per-image backdrops, and far more than chance', () => {
    const ours = nearestMeanAccuracy(faces.inputs, faces.labels, faces.inputSize, OPTIONS.identities);
    const library = createSyntheticFaces({ ...OPTIONS, cacheSize: 0 });
    const pixels = new Float32Array(count * faces.inputSize);
    for (let i = 0; i < count; i += 1) pixels.set(library.image(i), i * faces.inputSize);
    const theirs = nearestMeanAccuracy(pixels, library.labels, faces.inputSize, OPTIONS.identities);
    // Chance is 1 in 8; what the pixels leave open, the network has to learn.
    expect(ours).toBeGreaterThan(0.8);
    expect(ours).toBeGreaterThan(theirs);
  });
});

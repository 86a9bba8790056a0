import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@arcface/core';
import { createSyntheticFaces } from '@arcface/data';

import { centreInputs } from '@arcface/data';
import { createToyFaces } from './toy-faces';

const OPTIONS = { identities: 4, imagesPerIdentity: 6, size: 16, seed: 7, difficulty: 0.3 } as const;

describe('createToyFaces', () => {
  it('renders plain-backdrop synthetic faces, the same for the same seed, centred and scaled', () => {
    const faces = createToyFaces(OPTIONS);
    const count = 24;
    expect(faces.inputSize).toBe(16 * 16 * 3);
    expect(faces.inputs.length).toBe(count * faces.inputSize);
    expect(Array.from(faces.labels)).toEqual(Array.from({ length: count }, (_, i) => Math.floor(i / 6)));
    expect(createToyFaces(OPTIONS).inputs).toEqual(faces.inputs);
    expect(createToyFaces({ ...OPTIONS, seed: 8 }).inputs).not.toEqual(faces.inputs);
    // Every pixel's mean over the set is 0, the root mean square of all values is 1.
    for (let p = 0; p < faces.inputSize; p += 97) {
      let sum = 0;
      for (let i = 0; i < count; i += 1) sum += faces.inputs[i * faces.inputSize + p] as number;
      expect(Math.abs(sum / count)).toBeLessThan(1e-5);
    }
    const squares = faces.inputs.reduce((s, v) => s + v * v, 0);
    expect(Math.sqrt(squares / faces.inputs.length)).toBeCloseTo(1, 4);
    // The same pixels as the library generator with the plain backdrop, before centring.
    const plain = createSyntheticFaces({ ...OPTIONS, backdrop: 'plain' });
    const raw = new Float32Array(faces.inputs.length);
    for (let i = 0; i < count; i += 1) plain.image(i).forEach((v, p) => (raw[i * faces.inputSize + p] = v / 127.5 - 1));
    centreInputs(raw, count, faces.inputSize);
    expect(raw).toEqual(faces.inputs);
  });

  it('varies little in the backdrop: corner pixels differ far less than with the varied backdrop', () => {
    const spread = (images: Uint8Array[], at: number): number => {
      const v = images.map((img) => img[at] as number);
      return Math.max(...v) - Math.min(...v);
    };
    const plain = createSyntheticFaces({ ...OPTIONS, backdrop: 'plain' });
    const varied = createSyntheticFaces(OPTIONS);
    const images = (f: typeof plain): Uint8Array[] => Array.from({ length: f.length }, (_, i) => f.image(i));
    expect(spread(images(plain), 0)).toBeLessThan(spread(images(varied), 0) / 2);
  });

  it('refuses fewer than 2 identities', () => {
    expect(() => createToyFaces({ ...OPTIONS, identities: 1 })).toThrow(InvalidArgumentError);
    expect(() => createToyFaces({ ...OPTIONS, identities: 1 })).toThrow(/got 1/);
  });

  it('leaves a set of identical images at zero', () => {
    const inputs = new Float32Array([0.5, -1, 0.5, -1]);
    centreInputs(inputs, 2, 2);
    expect(Array.from(inputs)).toEqual([0, 0, 0, 0]);
  });
});

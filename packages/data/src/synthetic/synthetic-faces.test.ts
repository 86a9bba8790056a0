import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { InvalidArgumentError } from '@arcface/core';
import { makeVerificationPairs } from '../pipeline/verification-pairs';
import { detAsin, detAtan, detCos, detSin } from './det-math';
import { renderFace } from './render-face';
import { createSyntheticFaces, PLAIN_BACKDROP_GREY } from './synthetic-faces';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('deterministic trigonometry', () => {
  it('agrees with Math to 1e-5 over many turns', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (x) => {
        expect(Math.abs(detSin(x) - Math.sin(x))).toBeLessThan(1e-6);
        expect(Math.abs(detCos(x) - Math.cos(x))).toBeLessThan(1e-6);
        expect(Math.abs(detAtan(x) - Math.atan(x))).toBeLessThan(2e-5);
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (x) => {
        expect(Math.abs(detAsin(x) - Math.asin(x))).toBeLessThan(2e-5);
      }),
    );
  });
});

describe('synthetic faces', () => {
  it('same seed ⇒ byte-identical images, whatever the order of access', () => {
    const a = createSyntheticFaces({ identities: 5, imagesPerIdentity: 4, seed: 'alpha' });
    const b = createSyntheticFaces({ identities: 5, imagesPerIdentity: 4, seed: 'alpha', cacheSize: 0 });
    const forward = Array.from({ length: 20 }, (_, i) => sha256(a.image(i)));
    const backward = Array.from({ length: 20 }, (_, i) => sha256(b.image(19 - i))).reverse();
    expect(backward).toEqual(forward);
    // A larger set with the same seed renders its first identities identically too.
    const c = createSyntheticFaces({ identities: 50, imagesPerIdentity: 4, seed: 'alpha' });
    expect(sha256(c.image(7))).toBe(forward[7]);
    // Every image is distinct.
    expect(new Set(forward).size).toBe(20);
  });

  it('different seeds give different people', () => {
    const a = createSyntheticFaces({ identities: 3, imagesPerIdentity: 1, seed: 1 });
    const b = createSyntheticFaces({ identities: 3, imagesPerIdentity: 1, seed: 2 });
    expect(a.identity(0)).not.toEqual(b.identity(0));
    expect(sha256(a.image(0))).not.toBe(sha256(b.image(0)));
  });

  it('labels, sizes and the FaceDataset view', async () => {
    const faces = createSyntheticFaces({ identities: 3, imagesPerIdentity: 2, size: 64, seed: 0 });
    expect(faces.length).toBe(6);
    expect(faces.numClasses).toBe(3);
    expect(Array.from(faces.labels)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(faces.label(5)).toBe(2);
    const img = await faces.loadImage(3);
    expect([img.width, img.height, img.data.length]).toEqual([64, 64, 64 * 64 * 3]);
    expect(() => faces.image(6)).toThrow(InvalidArgumentError);
    expect(() => createSyntheticFaces({ identities: 0, imagesPerIdentity: 1 })).toThrow(/identities/);
    expect(() => createSyntheticFaces({ identities: 1, imagesPerIdentity: 1, difficulty: 2 })).toThrow(/difficulty/);
    expect(createSyntheticFaces({ identities: 1, imagesPerIdentity: 1, size: 200 }).image(0).length).toBe(200 * 200 * 3);
  });

  it("backdrop 'plain': same seed ⇒ same bytes, the same faces as 'varied', one backdrop for everybody", () => {
    const options = { identities: 4, imagesPerIdentity: 5, size: 24, seed: 11, difficulty: 0.3 } as const;
    const plain = createSyntheticFaces({ ...options, backdrop: 'plain' });
    const again = createSyntheticFaces({ ...options, backdrop: 'plain', cacheSize: 0 });
    const varied = createSyntheticFaces(options);
    expect(plain.backdrop).toBe('plain');
    expect(varied.backdrop).toBe('varied');
    const corner = (img: Uint8Array): number[] => Array.from(img.subarray(0, 3));
    const plainCorners: number[] = [];
    const variedCorners: number[] = [];
    for (let i = 0; i < plain.length; i++) {
      expect(sha256(again.image(plain.length - 1 - i))).toBe(sha256(plain.image(plain.length - 1 - i)));
      expect(sha256(plain.image(i))).not.toBe(sha256(varied.image(i)));
      // Only backdrop and shirt change: pose, light, expression and noise are the same draw.
      const { background, clothing, ...look } = plain.variation(i);
      const { background: vb, clothing: vc, ...variedLook } = varied.variation(i);
      expect(look).toEqual(variedLook);
      expect([vb, vc]).not.toEqual([background, clothing]);
      expect(background).toEqual([PLAIN_BACKDROP_GREY, PLAIN_BACKDROP_GREY]);
      expect(clothing).toEqual(PLAIN_BACKDROP_GREY);
      // Without sensor noise and white balance, the backdrop pixels are exactly the same grey.
      const clean = renderFace(plain.identity(plain.labels[i] as number), { ...plain.variation(i), noise: 0, tint: [1, 1, 1] }, 24);
      for (const [x, y] of [[0, 0], [23, 0], [1, 1], [22, 1]] as const) {
        expect(Array.from(clean.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3))).toEqual([128, 128, 128]);
      }
      plainCorners.push(...corner(plain.image(i)));
      variedCorners.push(...corner(varied.image(i)));
    }
    // With noise and white balance the plain backdrop stays near mid-grey; the varied one does not.
    const spread = (v: number[]): number => Math.max(...v) - Math.min(...v);
    expect(spread(plainCorners)).toBeLessThan(40);
    expect(spread(variedCorners)).toBeGreaterThan(80);
    expect(() => createSyntheticFaces({ ...options, backdrop: 'studio' as 'plain' })).toThrow(/backdrop must be 'varied' or 'plain', got studio/);
  });

  it("conditions 'classic' (the default) renders the bytes the set rendered before 'wild' existed", () => {
    // SHA-256 over all 100 images, taken from the build before the conditions option was added.
    const faces = createSyntheticFaces({ identities: 20, imagesPerIdentity: 5, size: 32, seed: 3 });
    const hash = createHash('sha256');
    for (let i = 0; i < faces.length; i++) hash.update(faces.image(i));
    expect(faces.conditions).toBe('classic');
    expect(hash.digest('hex')).toBe('5a867985f91705d3510e7dcdf6e424d3001fd9c78c47e0e1b64154a8f902ea7c');
  });

  it("conditions 'wild': the same people, lit from the side so one half of the face is much darker", () => {
    const options = { identities: 12, imagesPerIdentity: 8, size: 32, seed: 4, backdrop: 'plain' } as const;
    const classic = createSyntheticFaces(options);
    const wild = createSyntheticFaces({ ...options, conditions: 'wild' });
    expect(wild.identity(3)).toEqual(classic.identity(3));
    // Mean |left − right| grey level over the central face box (rows 10–24, columns 6–15 vs 16–25).
    const asymmetry = (faces: typeof wild): number => {
      let total = 0;
      for (let i = 0; i < faces.length; i++) {
        const img = faces.image(i);
        let left = 0;
        let right = 0;
        for (let y = 10; y < 24; y++) {
          for (let x = 6; x < 16; x++) left += (img[(y * 32 + x) * 3] as number) + (img[(y * 32 + x) * 3 + 1] as number);
          for (let x = 16; x < 26; x++) right += (img[(y * 32 + x) * 3] as number) + (img[(y * 32 + x) * 3 + 1] as number);
        }
        total += Math.abs(left - right) / (14 * 10 * 2);
      }
      return total / faces.length;
    };
    expect(asymmetry(wild)).toBeGreaterThan(1.5 * asymmetry(classic));
    // The light leaves the front half: some images are lit from almost exactly the side.
    const sideLit = Array.from({ length: wild.length }, (_, i) => wild.variation(i).light).filter(([lx, , lz]) => Math.abs(lx) > 0.9 && lz < 0.4);
    expect(sideLit.length).toBeGreaterThan(5);
    expect(() => createSyntheticFaces({ ...options, conditions: 'dark' as 'wild' })).toThrow(/conditions must be 'classic' or 'wild', got dark/);
  });

  it('looks like a face: skin-toned centre, uses the whole intensity range', () => {
    const faces = createSyntheticFaces({ identities: 20, imagesPerIdentity: 1, seed: 5, difficulty: 0 });
    for (let i = 0; i < faces.length; i++) {
      const img = faces.image(i);
      const at = (x: number, y: number): number[] => Array.from(img.subarray((y * 112 + x) * 3, (y * 112 + x) * 3 + 3));
      // A cheek, left of the nose and below the eyes: skin is redder than it is blue.
      const [r, , b] = at(40, 62) as [number, number, number];
      expect(r).toBeGreaterThan(b);
      let min = 255;
      let max = 0;
      for (const v of img) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(max - min).toBeGreaterThan(120);
    }
  });

  it('is hard but learnable: raw-pixel verification sits well between chance and perfect', () => {
    // Cosine similarity of raw grey pixels, best single threshold, on balanced pairs.
    const faces = createSyntheticFaces({ identities: 30, imagesPerIdentity: 6, size: 32, seed: 9 });
    const vectors = Array.from({ length: faces.length }, (_, i) => {
      const img = faces.image(i);
      const v = new Float64Array(32 * 32);
      for (let p = 0; p < v.length; p++) v[p] = (img[3 * p] as number) + (img[3 * p + 1] as number) + (img[3 * p + 2] as number);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      let norm = 0;
      for (let p = 0; p < v.length; p++) norm += ((v[p] as number) - mean) ** 2;
      return v.map((x) => (x - mean) / Math.sqrt(norm));
    });
    const pairs = makeVerificationPairs(faces.labels, { folds: 1, pairsPerFold: 300, seed: 1 });
    const sims = pairs.first.map((a, k) => {
      const va = vectors[a] as Float64Array;
      const vb = vectors[pairs.second[k] as number] as Float64Array;
      let s = 0;
      for (let p = 0; p < va.length; p++) s += (va[p] as number) * (vb[p] as number);
      return s;
    });
    let best = 0;
    for (const t of sims) {
      let correct = 0;
      sims.forEach((s, k) => (correct += (s >= t) === pairs.isSame[k] ? 1 : 0));
      best = Math.max(best, correct / sims.length);
    }
    expect(best).toBeGreaterThan(0.55);
    expect(best).toBeLessThan(0.9);
  });
});

describeEachBackend('synthetic faces batch', () => {
  it('returns a normalised [N, H, W, 3] float32 tensor without leaking', async () => {
    const faces = createSyntheticFaces({ identities: 2, imagesPerIdentity: 2, size: 16, seed: 3 });
    const x = await expectNoLeak(() => faces.batch([0, 3, 1]));
    expect(x.shape).toEqual([3, 16, 16, 3]);
    expect(x.dtype).toBe('float32');
    const values = await x.data();
    const bytes = faces.image(3);
    for (let i = 0; i < bytes.length; i++) expect(values[16 * 16 * 3 + i]).toBeCloseTo(((bytes[i] as number) / 255 - 0.5) / 0.5, 6);
    expect(tf.max(x).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose(x);
  });
});

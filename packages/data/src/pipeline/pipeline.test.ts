import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { InvalidArgumentError } from '@arcface/core';
import { datasetLabels, type FaceDataset, subsetDataset } from '../dataset/face-dataset';
import type { RgbImage } from '../image/rgb-image';
import { createRng } from '../random/rng';
import { createSyntheticFaces } from '../synthetic/synthetic-faces';
import { augmentImage } from './augment';
import { createDataPipeline } from './data-pipeline';
import { splitByIdentity } from './split-by-identity';
import { makeVerificationPairs } from './verification-pairs';

/** A dataset whose image i is a flat colour i (so a batch reveals its order), counting loads in flight. */
function countingDataset(n: number, classes: number): FaceDataset & { inFlight: number; peak: number } {
  const ds = {
    length: n,
    numClasses: classes,
    inFlight: 0,
    peak: 0,
    label: (i: number) => i % classes,
    async loadImage(i: number): Promise<RgbImage> {
      ds.inFlight++;
      ds.peak = Math.max(ds.peak, ds.inFlight);
      await new Promise((r) => setTimeout(r, 1));
      ds.inFlight--;
      return { width: 4, height: 4, data: new Uint8Array(48).fill(i % 256) };
    },
  };
  return ds;
}

describe('seeded generator', () => {
  it('restores its state exactly', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.nat(50), (seed, skip) => {
        const rng = createRng(seed);
        for (let i = 0; i < skip; i++) rng.next();
        const saved = JSON.parse(JSON.stringify(rng.getState()));
        const a = [rng.uint32(), rng.next(), rng.normal()];
        const other = createRng('other');
        other.setState(saved);
        expect([other.uint32(), other.next(), other.normal()]).toEqual(a);
      }),
    );
    expect(() => createRng(1).setState([1, 2, 3] as never)).toThrow(InvalidArgumentError);
  });

  it('is roughly uniform and shuffles to permutations', () => {
    const rng = createRng(3);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) {
      const k = Math.floor(rng.next() * 10);
      buckets[k] = (buckets[k] as number) + 1;
    }
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
    fc.assert(fc.property(fc.array(fc.integer()), fc.integer(), (items, seed) => {
      expect(createRng(seed).shuffle([...items]).sort()).toEqual([...items].sort());
    }));
  });
});

describe('splits and pairs', () => {
  it('splitByIdentity never puts a person on both sides', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(20), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(), (labels, fraction, seed) => {
        const split = splitByIdentity(labels, { heldOutFraction: fraction, seed });
        expect(split.train.length + split.heldOut.length).toBe(labels.length);
        const trainIds = new Set(split.train.map((i) => labels[i]));
        for (const i of split.heldOut) expect(trainIds.has(labels[i] as number)).toBe(false);
        expect(split.heldOutClasses.length).toBe(Math.round(new Set(labels).size * fraction));
      }),
    );
  });

  it('makeVerificationPairs: balanced folds of distinct pairs with correct labels', () => {
    const labels = Array.from({ length: 120 }, (_, i) => i % 12);
    const pairs = makeVerificationPairs(labels, { folds: 5, pairsPerFold: 20, seed: 4 });
    expect(pairs.first.length).toBe(100);
    const keys = new Set<string>();
    pairs.first.forEach((a, k) => {
      const b = pairs.second[k] as number;
      expect(a).not.toBe(b);
      expect(labels[a] === labels[b]).toBe(pairs.isSame[k]);
      expect(pairs.fold[k]).toBe(Math.floor(k / 20));
      expect(pairs.isSame[k]).toBe(k % 20 < 10);
      keys.add(a < b ? `${a},${b}` : `${b},${a}`);
    });
    expect(keys.size).toBe(100);
    expect(makeVerificationPairs(labels, { folds: 5, pairsPerFold: 20, seed: 4 })).toEqual(pairs);
    expect(() => makeVerificationPairs([0, 1, 2], { pairsPerFold: 2 })).toThrow(/no identity has two images/);
    expect(() => makeVerificationPairs([0, 0, 1], { folds: 2, pairsPerFold: 2 })).toThrow(/only 1/);
  });

  it('subsetDataset relabels classes contiguously', async () => {
    const faces = createSyntheticFaces({ identities: 5, imagesPerIdentity: 2, size: 16 });
    const { heldOut } = splitByIdentity(faces.labels, { heldOutIdentities: 2, seed: 1 });
    const sub = subsetDataset(faces, heldOut);
    expect(sub.numClasses).toBe(2);
    expect(Array.from(datasetLabels(sub))).toEqual([0, 0, 1, 1]);
    expect((await sub.loadImage(0)).data).toEqual(faces.image(heldOut[0] as number));
  });
});

describe('augmentation', () => {
  const image: RgbImage = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 10) };

  it('flip mirrors columns; no options is a plain resize', () => {
    const flipped = augmentImage(image, 3, 2, { flip: 1 }, createRng(1));
    expect(Array.from(flipped.data.subarray(0, 9))).toEqual([60, 70, 80, 30, 40, 50, 0, 10, 20]);
    expect(augmentImage(image, 3, 2, undefined, createRng(1))).toBe(image);
    expect(augmentImage(image, 3, 2, { flip: 0 }, createRng(1)).data).toEqual(image.data);
  });

  it('crop and colour jitter stay in range and are seeded', () => {
    const big: RgbImage = { width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 7) % 256) };
    const opts = { flip: 0.5, crop: { scale: [0.5, 1] as const }, brightness: 0.3, contrast: 0.3 };
    const a = augmentImage(big, 16, 16, opts, createRng(9));
    expect(a.data.length).toBe(16 * 16 * 3);
    expect(augmentImage(big, 16, 16, opts, createRng(9)).data).toEqual(a.data);
    expect(augmentImage(big, 16, 16, opts, createRng(10)).data).not.toEqual(a.data);
    expect(() => augmentImage(big, 16, 16, { crop: { scale: [0, 2] } }, createRng(1))).toThrow(InvalidArgumentError);
  });
});

describeEachBackend('data pipeline', () => {
  it('batches every sample once per epoch, shuffled by seed, with no tensor leaked', async () => {
    const ds = countingDataset(22, 4);
    const pipeline = createDataPipeline(ds, { batchSize: 5, inputSize: 4, seed: 1, prefetch: 1 });
    expect(pipeline.batchesPerEpoch).toBe(4);
    const seen: number[] = [];
    await expectNoLeak(async () => {
      for await (const batch of pipeline.epoch(0)) {
        expect(batch.images.shape).toEqual([5, 4, 4, 3]);
        const values = await batch.images.data();
        const labels = await batch.labels.data();
        batch.indices.forEach((index, k) => {
          expect(values[k * 48]).toBeCloseTo(((index % 256) / 255 - 0.5) / 0.5, 6);
          expect(labels[k]).toBe(index % 4);
        });
        seen.push(...batch.indices);
        tf.dispose([batch.images, batch.labels]);
      }
    });
    expect(new Set(seen).size).toBe(20);
    expect(pipeline.epochOrder(0)).not.toEqual(pipeline.epochOrder(1));
    expect(pipeline.epochOrder(0).slice(0, 20)).toEqual(seen);
  });

  it('resumes mid-epoch with identical batches, and prefetch bounds the loads in flight', async () => {
    const faces = createSyntheticFaces({ identities: 4, imagesPerIdentity: 6, size: 24, seed: 2 });
    const opts = { batchSize: 4, inputSize: 16, seed: 'run', augment: { flip: 0.5, crop: { scale: [0.6, 1] as const }, brightness: 0.2 } };
    const full: Float32Array[] = [];
    for await (const b of createDataPipeline(faces, opts).epoch(3)) {
      full.push((await b.images.data()) as Float32Array);
      tf.dispose([b.images, b.labels]);
    }
    const resumed: Float32Array[] = [];
    for await (const b of createDataPipeline(faces, { ...opts, prefetch: 0 }).epoch({ epoch: 3, batch: 2 })) {
      resumed.push((await b.images.data()) as Float32Array);
      tf.dispose([b.images, b.labels]);
    }
    expect(resumed).toEqual(full.slice(2));

    const ds = countingDataset(64, 2);
    const pipeline = createDataPipeline(ds, { batchSize: 4, inputSize: 4, prefetch: 2, concurrency: 2 });
    for await (const b of pipeline.epoch(0)) {
      await new Promise((r) => setTimeout(r, 5));
      tf.dispose([b.images, b.labels]);
    }
    // (prefetch + 1) batches at most, each loading `concurrency` images at a time.
    expect(ds.peak).toBeLessThanOrEqual(3 * 2);
    expect(() => createDataPipeline(ds, { batchSize: 100 })).toThrow(/no full batch/);
  });
});

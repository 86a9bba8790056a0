import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { batchChunks, imagesOf, sumOverChunks } from './batch-chunks';

const MiB = 2 ** 20;

describe('batchChunks', () => {
  it('keeps the whole batch when its temporaries fit the budget', () => {
    expect(batchChunks(64, { temporaries: MiB, inputs: MiB }, { largestInputBytes: 64 * MiB })).toEqual([{ start: 0, size: 64 }]);
    // Small layers stay whole under the 64 MiB floor even at many input-sized copies.
    expect(batchChunks(16, { temporaries: 3 * MiB, inputs: MiB }, { largestInputBytes: 16 * MiB })).toEqual([{ start: 0, size: 16 }]);
  });

  it('cuts a batch whose temporaries exceed 3.5 inputs into near-equal chunks', () => {
    // x and dy of 200 704 floats per image (MobileFaceNet's first depthwise layer), XNNPACK
    // packing dy 8 times over: at B 64 four chunks of 16 keep a chunk under 3.5 inputs.
    const image = 4 * 200_704;
    const chunks = batchChunks(64, { temporaries: 10 * image, inputs: 2 * image }, { largestInputBytes: 64 * image });
    expect(chunks.map((c) => c.size)).toEqual([16, 16, 16, 16]);
    expect(chunks.map((c) => c.start)).toEqual([0, 16, 32, 48]);
  });

  it('cuts a batch so that a cached working set stays within the limit', () => {
    // The same layer with its packed filter (6.4 MB per image) kept within 16 MiB: two images a chunk.
    const image = 4 * 200_704;
    const cache = { largestInputBytes: 64 * image, cacheBytes: 16 * MiB };
    expect(batchChunks(64, { temporaries: 10 * image, inputs: 2 * image, cached: 8 * image }, cache).map((c) => c.size)).toEqual(new Array(32).fill(2));
    // Without a cached set, or without a limit, a batch within the memory budget stays whole.
    expect(batchChunks(13, { temporaries: image, inputs: image, cached: 0 }, { largestInputBytes: 13 * image, cacheBytes: MiB })).toEqual([{ start: 0, size: 13 }]);
    expect(batchChunks(13, { temporaries: image, inputs: image, cached: 8 * image }, { largestInputBytes: 13 * image })).toEqual([{ start: 0, size: 13 }]);
    // One image whose working set exceeds the limit still makes a chunk.
    expect(batchChunks(3, { temporaries: 1, inputs: 1, cached: 64 * MiB }, { largestInputBytes: 1, cacheBytes: 16 * MiB }).map((c) => c.size)).toEqual([1, 1, 1]);
    // A chunk cut for the cache keeps the fewest images asked for.
    const fewest = { largestInputBytes: 1, cacheBytes: 4 * MiB, fewestImages: 16 };
    expect(batchChunks(64, { temporaries: 1, inputs: 1, cached: 4 * MiB }, fewest).map((c) => c.size)).toEqual([16, 16, 16, 16]);
    expect(batchChunks(12, { temporaries: 1, inputs: 1, cached: 4 * MiB }, fewest)).toEqual([{ start: 0, size: 12 }]);
    // Sizes differ by at most one: 10 images, 3 a chunk at most → 3, 3, 2, 2.
    expect(batchChunks(10, { temporaries: 1, inputs: 1, cached: MiB }, { largestInputBytes: 1, cacheBytes: 3 * MiB }).map((c) => c.size)).toEqual([3, 3, 2, 2]);
  });

  it('covers every image exactly once and respects the budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2 ** 28 }), fc.integer({ min: 0, max: 2 ** 26 }), fc.integer({ min: 0, max: 2 ** 26 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 32 }), (batch, temporaries, inputs, cached, largest, fewestImages) => {
        const chunks = batchChunks(batch, { temporaries, inputs, cached }, { largestInputBytes: largest, cacheBytes: 16 * MiB, fewestImages });
        let next = 0;
        for (const { start, size } of chunks) {
          expect(start).toBe(next);
          expect(size).toBeGreaterThan(0);
          next += size;
        }
        expect(next).toBe(batch);
        const sizes = chunks.map((c) => c.size);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        if (chunks.length > 1) {
          const budget = Math.max(3.5 * largest, 64 * MiB);
          // One image alone may exceed the budget; otherwise every chunk fits.
          if (temporaries + inputs <= budget) expect(Math.max(...sizes) * (temporaries + inputs)).toBeLessThanOrEqual(budget);
          if (cached > 0 && cached <= 16 * MiB) expect(Math.max(...sizes) * cached).toBeLessThanOrEqual(Math.max(16 * MiB, fewestImages * cached));
        }
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('has nothing to cut in an empty batch', () => {
    expect(batchChunks(0, { temporaries: MiB, inputs: MiB }, { largestInputBytes: MiB })).toEqual([]);
  });
});

describe('sumOverChunks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('adds the terms of every chunk, and equals the term of the whole batch for a sum over images', async () => {
    const a = tf.randomNormal([7, 3, 2, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomNormal([7, 1, 5, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const term = ([x, y]: tf.Tensor4D[]) => tf.concat([tf.sum(x!, [0, 1, 2]), tf.sum(tf.square(y!), [0, 1, 2])]);
    const whole = term([a, b]);
    const chunked = await expectNoLeak(() => sumOverChunks(batchChunks(7, { temporaries: 1e9, inputs: 0 }, { largestInputBytes: 1 }), [a, b], term));
    expect(batchChunks(7, { temporaries: 1e9, inputs: 0 }, { largestInputBytes: 1 }).length).toBe(7);
    const split = sumOverChunks([{ start: 0, size: 3 }, { start: 3, size: 4 }], [a, b], term);
    const [w, c, s] = await Promise.all([whole.data(), chunked.data(), split.data()]);
    for (let k = 0; k < w.length; k++) {
      expect(c[k]).toBeCloseTo(w[k]!, 4);
      expect(s[k]).toBeCloseTo(w[k]!, 4);
    }
    tf.dispose([a, b, whole, chunked, split]);
  });

  it('copies exactly the images asked for, whatever their size', async () => {
    for (const shape of [[5, 3, 4, 2], [4, 1, 6, 3], [3, 5, 1, 2], [2, 1, 1, 7]] as Array<[number, number, number, number]>) {
      const batch = tf.randomNormal(shape, 0, 1, 'float32', 5) as tf.Tensor4D;
      const images = await expectNoLeak(() => imagesOf(batch, 1, shape[0] - 1));
      const expected = tf.slice(batch, [1, 0, 0, 0], [shape[0] - 1, -1, -1, -1]);
      expect(images.shape).toEqual(expected.shape);
      expect(await images.data()).toEqual(await expected.data());
      tf.dispose([batch, images, expected]);
    }
  });

  it('passes a single chunk through without slicing and frees nothing the caller owns', async () => {
    const a = tf.ones([2, 2, 2, 2]) as tf.Tensor4D;
    let seen: tf.Tensor4D | undefined;
    const out = await expectNoLeak(() =>
      sumOverChunks([{ start: 0, size: 2 }], [a], ([x]) => {
        seen = x;
        return tf.sum(x!);
      }),
    );
    expect(seen).toBe(a);
    expect(a.isDisposed).toBe(false);
    expect(await out.data()).toEqual(new Float32Array([16]));
    tf.dispose([a, out]);
  });
});

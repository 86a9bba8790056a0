import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, seededValues } from '@arcface/testing';
import { BATCH_MOMENTS } from './batch-moments';
import { useNativeKernels, useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

/** Per channel of channels-last `values`: the mean and the biased variance, in float64, two passes. */
function reference(values: Float32Array, channels: number): { mean: number[]; variance: number[] } {
  const rows = values.length / channels;
  const mean = Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += values[r * channels + c]!;
    return s / rows;
  });
  const variance = mean.map((m, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += (values[r * channels + c]! - m) ** 2;
    return s / rows;
  });
  return { mean, variance };
}

for (const native of [true, false]) {
  describe(`wasm ${BATCH_MOMENTS}, native kernels ${native ? 'on' : 'off'}`, () => {
    useWasmTrainingKernels();
    useNativeKernels(native);

    it('equals float64 two-pass statistics over random shapes, offset channels and a constant one included', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 37 })),
            fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 21 })),
          ),
          fc.integer({ min: 1, max: 2 ** 30 }),
          async (shape, seed) => {
            const channels = shape[shape.length - 1]!;
            // Channel c sits at an offset of (c mod 4)·300 (mean ≫ deviation: the one-pass sums'
            // weak spot); channel 1 is constant.
            const values = seededValues(seed, shape.reduce((a, b) => a * b, 1)).map((v, i) =>
              Math.fround(i % channels === 1 ? 2.5 : v + ((i % channels) % 4) * 300),
            );
            const x = tf.tensor(values, shape);
            const out = await expectNoLeak(() => tf.engine().runKernel(BATCH_MOMENTS, { x }) as tf.Tensor);
            expect(out.shape).toEqual([2, channels]);
            const got = await out.data();
            const want = reference(values, channels);
            for (let c = 0; c < channels; c++) {
              expect(Math.abs(got[c]! - want.mean[c]!), `mean ${c} ${JSON.stringify(shape)}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.mean[c]!)));
              // float32 inputs at 900 ± 1 carry 6e-5 each; their variance is good to ~1e-4 in float32.
              expect(Math.abs(got[channels + c]! - want.variance[c]!), `variance ${c} ${JSON.stringify(shape)}`).toBeLessThanOrEqual(2e-4 * Math.max(want.variance[c]!, 1e-3));
            }
            tf.dispose([x, out]);
          },
        ),
        // The first example is large enough to be split among threads.
        { numRuns: 40, seed: 23, examples: [[[4, 30, 30, 64], 1]] },
      );
    });
  });
}

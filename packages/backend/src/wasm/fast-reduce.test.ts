import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

async function reducedOn(backend: string, kind: 'sum' | 'mean', x: { values: Float32Array; shape: number[] }, axis: number[], keepDims: boolean) {
  await useBackend(backend);
  const input = tf.tensor(x.values, x.shape);
  const out = kind === 'sum' ? tf.sum(input, axis, keepDims) : tf.mean(input, axis, keepDims);
  const result = { shape: out.shape, values: Array.from(await out.data()) };
  tf.dispose([input, out]);
  return result;
}

/** A shape with a subset of its axes to reduce: leading blocks (the fast path) and any others. */
const reduction = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, a) => a), { minLength: 1 }), fc.boolean(), fc.constantFrom('sum' as const, 'mean' as const)),
);

describe('wasm Sum and Mean over leading axes', () => {
  useWasmTrainingKernels();

  it('equal the cpu backend over random shapes, axes and keepDims', async () => {
    await fc.assert(
      fc.asyncProperty(reduction, fc.integer({ min: 1, max: 1000 }), async ([shape, axis, keepDims, kind], seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Float32Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898 + seed) * 10);
        const reference = await reducedOn('cpu', kind, { values, shape }, axis, keepDims);
        const actual = await expectNoLeak(() => reducedOn('wasm', kind, { values, shape }, axis, keepDims));
        expect(actual.shape).toEqual(reference.shape);
        actual.values.forEach((v, k) => expect(v).toBeCloseTo(reference.values[k] as number, 3));
      }),
      { numRuns: 80, seed: 23 },
    );
  });

  it('batch-norm statistics of a large activation agree with a float64 sum to float32 precision', async () => {
    await useBackend('wasm');
    const shape = [8, 20, 20, 16];
    const n = 8 * 20 * 20;
    const values = Float32Array.from({ length: n * 16 }, (_, k) => 100 + Math.cos(k) * 3);
    const x = tf.tensor(values, shape);
    const mean = Array.from(await tf.mean(x, [0, 1, 2]).data());
    const sum = Array.from(await tf.sum(x, [0, 1, 2]).data());
    for (let c = 0; c < 16; c++) {
      let exact = 0;
      for (let r = 0; r < n; r++) exact += values[r * 16 + c]!;
      expect(Math.abs(sum[c]! - exact) / Math.abs(exact)).toBeLessThan(1e-7);
      expect(Math.abs(mean[c]! - exact / n) / Math.abs(exact / n)).toBeLessThan(1e-7);
    }
    tf.dispose(x);
  });
});

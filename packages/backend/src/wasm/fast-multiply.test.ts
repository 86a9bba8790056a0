import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

async function onBoth(shapeA: number[], shapeB: number[], seed: number): Promise<[Float32Array, Float32Array]> {
  const results: Float32Array[] = [];
  for (const backend of ['cpu', 'wasm']) {
    await useBackend(backend);
    const a = tf.randomUniform(shapeA, -2, 2, 'float32', seed);
    const b = tf.randomUniform(shapeB, -2, 2, 'float32', seed + 1);
    const product = tf.mul(a, b);
    results.push((await product.data()) as Float32Array);
    tf.dispose([a, b, product]);
  }
  await useBackend('wasm');
  return results as [Float32Array, Float32Array];
}

describe('wasm Multiply with a per-row factor', () => {
  useWasmTrainingKernels();

  it('x [..., C] · s [..., 1] either way round, and the shapes it leaves to the stock kernel, equal cpu exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('row', 'row-swapped', 'column', 'same'),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (lead, cols, kind, seed) => {
          const x = [...lead, cols];
          const other = kind === 'column' ? [cols] : kind === 'same' ? x : [...lead, 1];
          const [shapeA, shapeB] = kind === 'row-swapped' ? [other, x] : [x, other];
          const [reference, actual] = await onBoth(shapeA, shapeB, seed);
          // One float multiplication per value on both: bit for bit.
          expect(Array.from(actual)).toEqual(Array.from(reference));
        },
      ),
      { numRuns: 40, seed: 12 },
    );
  });

  it('leaks nothing', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([300, 64]);
    const s = tf.randomNormal([300, 1]);
    await expectNoLeak(() => tf.mul(x, s));
    tf.dispose([x, s]);
  });
});

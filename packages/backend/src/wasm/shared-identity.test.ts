import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, seededValues } from '@arcface/testing';
import { heapAddress } from './native/native-kernels';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

interface HeapMap {
  dataIdMap: { has(dataId: object): boolean };
}

describe('wasm Identity shares the heap data', () => {
  useWasmTrainingKernels();

  it('a clone reads the same heap bytes, and outlives the original', async () => {
    const x = tf.tensor2d(seededValues(1, 12), [3, 4]);
    const expected = Array.from(await x.data());
    const y = tf.clone(x);
    expect(heapAddress(tf.backend(), y)).toBe(heapAddress(tf.backend(), x));
    x.dispose();
    expect(Array.from(await y.data())).toEqual(expected);
    const dataId = y.dataId;
    y.dispose();
    expect((tf.backend() as unknown as HeapMap).dataIdMap.has(dataId)).toBe(false);
  });

  it('any order of disposing clones keeps the rest readable and frees the data with the last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const), async (clones, seed, dtype) => {
        await expectNoLeak(async () => {
          const values = Array.from(seededValues(seed, 10), (v) => (dtype === 'float32' ? v : dtype === 'int32' ? Math.round(v * 100) : v > 0 ? 1 : 0));
          const tensors = [tf.tensor1d(values, dtype)];
          // Clones of clones too: each one is taken of a random earlier tensor.
          for (let i = 0; i < clones; i++) tensors.push(tf.clone(tensors[(seed + i) % tensors.length]!));
          const expected = Array.from(await tensors[0]!.data());
          const order = tensors.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
          for (const [step, index] of order.entries()) {
            tensors[index]!.dispose();
            for (const other of order.slice(step + 1)) expect(Array.from(await tensors[other]!.data())).toEqual(expected);
          }
        });
      }),
      { numRuns: 40, seed: 5 },
    );
  });

  it('tensors a customGrad saves survive the forward tidy, and give the right gradient', async () => {
    const square = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const doubled = tf.mul(x, 2);
      save([doubled]);
      // Σx², a scalar: tf.grad needs no registered gradient for anything but this op.
      return { value: tf.sum(tf.square(x)), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
    });
    const x = tf.tensor1d([1, -2, 3.5]);
    const dx = await expectNoLeak(async () => {
      const grad = tf.grad((v: tf.Tensor) => square(v))(x);
      const out = Array.from(await grad.data());
      grad.dispose();
      return out;
    });
    expect(dx).toEqual([2, -4, 7]);
    x.dispose();
  });
});

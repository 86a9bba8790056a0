import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

/** `a · b` with the given flags on `backend`, as a flat array. */
async function productOn(backend: string, a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): Promise<Float32Array> {
  await useBackend(backend);
  const [ax, bx] = [tf.tensor(await a.data(), a.shape), tf.tensor(await b.data(), b.shape)];
  const out = tf.matMul(ax, bx, transposeA, transposeB);
  const values = (await out.data()) as Float32Array;
  tf.dispose([ax, bx, out]);
  return values;
}

describe('wasm BatchMatMul on XNNPACK for batched and transposed operands', () => {
  useWasmTrainingKernels();

  const cases: Array<{ a: number[]; b: number[]; ta?: boolean; tb?: boolean }> = [
    { a: [3, 5, 7], b: [3, 7, 4] },
    { a: [2, 3, 5, 7], b: [2, 3, 7, 4] },
    { a: [4, 5, 7], b: [7, 6] }, // b broadcast over the batch
    { a: [1, 5, 7], b: [3, 7, 6] }, // a broadcast
    { a: [3, 7, 5], b: [3, 6, 7], ta: true, tb: true },
    { a: [6, 9], b: [11, 9], tb: true },
    // a·bᵀ with b much larger than a: computed as (b·aᵀ)ᵀ.
    { a: [4, 16], b: [300, 16], tb: true },
    { a: [5, 8], b: [40, 8], ta: false, tb: true },
  ];
  for (const c of cases) {
    it(`[${c.a}]${c.ta ? 'ᵀ' : ''} · [${c.b}]${c.tb ? 'ᵀ' : ''} equals the cpu backend's, leaking nothing`, async () => {
      await useBackend('cpu');
      const a = tf.randomNormal(c.a, 0, 1, 'float32', 11);
      const b = tf.randomNormal(c.b, 0, 1, 'float32', 12);
      const reference = await productOn('cpu', a, b, c.ta, c.tb);
      const values = await expectNoLeak(() => productOn('wasm', a, b, c.ta, c.tb));
      expect(values.length).toBe(reference.length);
      values.forEach((v, i) => expect(v).toBeCloseTo(reference[i] as number, 4));
      await useBackend('cpu');
      tf.dispose([a, b]);
    });
  }
});

describe('wasm BatchMatMul over chunks of a large reduction', () => {
  useWasmTrainingKernels();

  // K·N ≥ 2²² with K at least two chunks: [K, N] is split into row blocks of 2²¹ / N rows.
  it('[3, 9000] · [9000, 512] (three partial products) equals the cpu backend, leaking nothing', async () => {
    await useBackend('cpu');
    const a = tf.randomNormal([3, 9000], 0, 1, 'float32', 31);
    const b = tf.randomNormal([9000, 512], 0, 1, 'float32', 32);
    const reference = await productOn('cpu', a, b);
    const values = await expectNoLeak(() => productOn('wasm', a, b));
    const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(v - (reference[i] as number))), 0);
    expect(worst).toBeLessThanOrEqual(1e-5 * scale);
    await useBackend('cpu');
    tf.dispose([a, b]);
  });
});

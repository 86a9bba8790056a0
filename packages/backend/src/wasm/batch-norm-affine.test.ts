import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

interface Case {
  readonly x: number[];
  readonly stats: number[];
  readonly scale: boolean;
  readonly offset: boolean;
}

async function batchNormOn(backend: string, c: Case): Promise<Float32Array> {
  await useBackend(backend);
  const out = tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 2, 'float32', 1);
    const mean = tf.randomNormal(c.stats, 0, 1, 'float32', 2);
    const variance = tf.randomUniform(c.stats, 0.1, 3, 'float32', 3);
    const scale = c.scale ? tf.randomNormal(c.stats, 1, 0.5, 'float32', 4) : undefined;
    const offset = c.offset ? tf.randomNormal(c.stats, 0, 0.5, 'float32', 5) : undefined;
    return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
  });
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

describe('wasm FusedBatchNorm as a multiply and an add', () => {
  useWasmTrainingKernels();

  const cases: Case[] = [
    { x: [2, 5, 5, 7], stats: [7], scale: true, offset: true },
    { x: [3, 4, 4, 6], stats: [6], scale: false, offset: true },
    { x: [3, 4, 4, 6], stats: [6], scale: true, offset: false },
    { x: [5, 9], stats: [9], scale: false, offset: false },
    // Per-channel statistics of the input's rank ([1, 1, 1, C]).
    { x: [2, 3, 3, 8], stats: [1, 1, 1, 8], scale: true, offset: true },
    { x: [2, 3, 3, 8], stats: [1, 1, 1, 8], scale: false, offset: false },
    // Full-size statistics, as the lean batch norm's backward pass uses them.
    { x: [2, 3, 3, 4], stats: [2, 3, 3, 4], scale: false, offset: false },
  ];
  for (const c of cases) {
    it(`x [${c.x}], statistics [${c.stats}]${c.scale ? ', γ' : ''}${c.offset ? ', β' : ''}: equals the cpu backend, leaking nothing`, async () => {
      const reference = await batchNormOn('cpu', c);
      const values = await expectNoLeak(() => batchNormOn('wasm', c));
      await useBackend('wasm');
      expect(tf.getKernel(tf.FusedBatchNorm, 'wasm')?.kernelFunc.name).toBe('batchNormAffine');
      expect(values.length).toBe(reference.length);
      values.forEach((v, i) => expect(v).toBeCloseTo(reference[i] as number, 4));
    });
  }
});

/**
 * The playground's toy network through the compiled WebGPU step (Dawn; llvmpipe without a GPU)
 * against its eager step on cpu: same losses and weights within 1e-4 over a few Adam steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendSelection } from '@arcface/backend';
import { createMargin, type MarginName, type MarginOptions } from '@arcface/margins';
import { registerGradients, registerTestBackends, seededValues } from '@arcface/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileToyStep } from './compiled-toy-step';
import { ToyNet } from './toy-net';

async function missingAdapter(): Promise<string | undefined> {
  try {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): { requestAdapter(): Promise<unknown> } };
    return (await dawn.create([]).requestAdapter()) ? undefined : 'Dawn found no WebGPU adapter (install Mesa 25 vulkan drivers, see .ci/run)';
  } catch (error) {
    return `the webgpu package did not load (${(error as Error).message})`;
  }
}
const missing = await missingAdapter();
if (missing !== undefined) console.warn(`compiled toy step test skipped: ${missing}`);

const SHAPE = { inputSize: 48, hidden: 16, dimension: 3, classes: 5 };
const BATCH = 12;
const STEPS = 4;

describe.skipIf(missing !== undefined)('the toy network through the compiled WebGPU step', () => {
  let selection: BackendSelection;
  beforeAll(async () => {
    await registerTestBackends();
    await registerGradients();
    selection = await selectBackend({ candidates: ['webgpu'], importer: (specifier) => import(/* @vite-ignore */ specifier) });
  }, 180_000);
  afterAll(async () => {
    await selection?.release();
    await tf.setBackend('cpu');
    if (tf.findBackend('webgpu') !== null) tf.removeBackend('webgpu');
  });

  // Every built-in target margin's WGSL, boundaries and gradient modes included.
  const cases: Array<[MarginName, MarginOptions]> = [
    ['softmax-normalized', { s: 8 }],
    ['additive-angular', { s: 8 }],
    ['additive-angular', { s: 8, m: 0.8, boundary: 'reflect' }],
    ['additive-angular', { s: 8, boundary: 'easy', gradient: 'straight-through' }],
    ['additive-cosine', { s: 8 }],
    ['multiplicative-angular', { s: 8 }],
    ['combined', { s: 8, m1: 0.9, m2: 0.4, m3: 0.15 }],
  ];
  for (const [name, options] of cases) {
    it(`${name} ${JSON.stringify(options)}: ${STEPS} Adam steps give the eager cpu step's losses and weights`, async () => {
      const batches = Array.from({ length: STEPS }, (_, s) => ({
        inputs: seededValues(40 + s, BATCH * SHAPE.inputSize),
        labels: Int32Array.from({ length: BATCH }, (_, i) => (i * 3 + s) % SHAPE.classes),
      }));
      await tf.setBackend('cpu');
      const eager = new ToyNet(SHAPE, { kind: 'margin', margin: createMargin(name, options) }, 11, 0.01);
      const expected: number[] = [];
      for (let s = 0; s < STEPS; s++) {
        const x = tf.tensor2d(batches[s]!.inputs, [BATCH, SHAPE.inputSize]);
        const y = tf.tensor1d(batches[s]!.labels, 'int32');
        const loss = eager.trainStep(x, y, s);
        expected.push((await loss.data())[0] as number);
        tf.dispose([x, y, loss]);
      }
      await tf.setBackend('webgpu');
      const net = new ToyNet(SHAPE, { kind: 'margin', margin: createMargin(name, options) }, 11, 0.01);
      const compiled = await compileToyStep(net, BATCH);
      try {
        expect(compiled.summary.submissions).toBe(1);
        for (let s = 0; s < STEPS; s++) {
          const loss = await compiled.run(batches[s]!.inputs, batches[s]!.labels, s);
          expect(Math.abs(loss - expected[s]!) / expected[s]!, `step ${s + 1}: compiled ${loss}, eager ${expected[s]}`).toBeLessThan(1e-4);
        }
        const ours = [...net.layers, net.centers];
        const theirs = [...eager.layers, eager.centers];
        for (let i = 0; i < ours.length; i++) {
          const a = (await ours[i]!.data()) as Float32Array;
          const b = (await theirs[i]!.data()) as Float32Array;
          let diff = 0;
          let norm = 0;
          b.forEach((v, k) => {
            diff += (a[k]! - v) ** 2;
            norm += v * v;
          });
          expect(Math.sqrt(diff / norm), `weight ${i} after ${STEPS} steps`).toBeLessThan(1e-4);
        }
      } finally {
        compiled.dispose();
        net.dispose();
        await tf.setBackend('cpu');
        eager.dispose();
      }
    }, 120_000);
  }
});

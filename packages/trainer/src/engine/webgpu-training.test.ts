/**
 * The whole trainer on WebGPU in Node (Dawn through the `webgpu` package, chosen and prepared by
 * `@arcface/backend`'s selectBackend as an application would): a few training steps of a small
 * network, Partial FC included, give the cpu backend's losses within 1e-3 relative. Nothing on
 * the training path may read tensors synchronously (`dataSync` fails on WebGPU in Node), so
 * this test fails if anything does. With the full classifier the steps run through the compiled
 * WebGPU step, with Partial FC through tfjs' eager kernels. On a machine without a GPU it runs on Mesa's llvmpipe
 * (Vulkan on the CPU, Mesa 25 or later; see .ci/run), and skips, saying why, where Dawn finds
 * no adapter at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendSelection } from '@arcface/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGradients, registerTestBackends } from '@arcface/testing';
import { createTrainer } from './create-trainer';
import { smallRunConfig, snapshot } from './test-fixtures/small-run';
import type { TrainerConfig } from './trainer-config';

/** Why WebGPU cannot run here, or undefined when Dawn offers an adapter. */
async function missingAdapter(): Promise<string | undefined> {
  let dawn: { create(flags: string[]): { requestAdapter(): Promise<unknown> } };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (error) {
    return `the webgpu package did not load (${(error as Error).message})`;
  }
  const adapter = await dawn.create([]).requestAdapter();
  if (adapter === null || adapter === undefined) {
    return 'Dawn found no WebGPU adapter (no GPU and no Vulkan driver: install Mesa 25 vulkan drivers, see .ci/run)';
  }
  return undefined;
}

const missing = await missingAdapter();
if (missing !== undefined) console.warn(`WebGPU training test skipped: ${missing}`);

const STEPS = 4;

const modes: Record<string, string> = {};
/** Every weight and centre after the last run on each backend, by backend and head, with names. */
const finalWeights: Record<string, Array<[string, Float32Array]>> = {};

async function lossesOn(backend: string, head: 'full' | 'partial-fc', optimizer?: TrainerConfig['optimizer']): Promise<number[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  const trainer = createTrainer(
    smallRunConfig({
      steps: STEPS,
      head: head === 'partial-fc' ? { type: 'partial-fc', sampleRate: 0.5 } : { type: 'full' },
      schedule: { type: 'polynomial', lr: 0.05, warmupSteps: 1, totalSteps: STEPS },
      ...(optimizer !== undefined ? { optimizer } : {}),
    }),
  );
  try {
    await trainer.train();
    const mode = trainer.stepMode;
    modes[`${backend} ${head}`] = mode?.kind === 'eager' && mode.reason !== undefined ? `eager: ${mode.reason}` : String(mode?.kind);
    const names = [...trainer.model.weights.map((w) => w.originalName), 'centers'];
    finalWeights[`${backend} ${head}`] = (await snapshot(trainer)).map((values, i) => [names[i] as string, values]);
    return trainer.history.map((m) => m.loss);
  } finally {
    trainer.dispose();
  }
}

describe.skipIf(missing !== undefined)('the trainer on WebGPU in Node (Dawn)', () => {
  let selection: BackendSelection;
  beforeAll(async () => {
    await registerTestBackends();
    await registerGradients();
    // The optional engines resolve from this package (the application), not from @arcface/backend.
    selection = await selectBackend({ candidates: ['webgpu'], importer: (specifier) => import(/* @vite-ignore */ specifier) });
    expect(selection.chosen).toBe('webgpu');
  }, 180_000);
  afterAll(async () => {
    await selection?.release();
    await tf.setBackend('cpu');
    if (tf.findBackend('webgpu') !== null) tf.removeBackend('webgpu');
  });

  for (const head of ['full', 'partial-fc'] as const) {
    it(
      `${STEPS} steps (${head === 'full' ? 'full classifier' : 'Partial FC'}) give the cpu backend's losses within 1e-3 relative`,
      async () => {
        const expected = await lossesOn('cpu', head);
        const actual = await lossesOn('webgpu', head);
        expect(actual).toHaveLength(STEPS);
        expect(expected).toHaveLength(STEPS);
        for (let i = 0; i < STEPS; i++) {
          const relative = Math.abs((actual[i] as number) - (expected[i] as number)) / Math.abs(expected[i] as number);
          expect(relative, `step ${i + 1}: webgpu ${actual[i]}, cpu ${expected[i]}`).toBeLessThan(1e-3);
        }
        // Training happened: the loss moved.
        expect(expected[STEPS - 1]).not.toBe(expected[0]);
        // The full classifier trains through the compiled step; Partial FC (its classes change
        // every step) eagerly, with the reason.
        expect(modes[`cpu ${head}`]).toBe('eager');
        if (head === 'full') expect(modes['webgpu full']).toBe('compiled');
        else expect(modes['webgpu partial-fc']).toMatch(/^eager: .*'partial-fc' head changes its classes every step/);
      },
      240_000,
    );
  }

  // The compiled optimiser kernel's other branches: AdamW's decoupled decay and bias
  // correction, SGD's Nesterov step.
  const optimizers: Array<[string, NonNullable<TrainerConfig['optimizer']>]> = [
    ['AdamW', { name: 'adamw', weightDecay: 0.05 }],
    ['SGD with Nesterov momentum', { name: 'sgd', momentum: 0.9, weightDecay: 5e-4, nesterov: true }],
  ];
  for (const [name, optimizer] of optimizers) {
    it(`${STEPS} compiled steps with ${name} give the cpu backend's losses (1e-3) and weights (1e-4)`, async () => {
      const expected = await lossesOn('cpu', 'full', optimizer);
      const actual = await lossesOn('webgpu', 'full', optimizer);
      expect(modes['webgpu full']).toBe('compiled');
      // The weights the optimiser left, each within 1e-4 of the cpu's (relative to its norm).
      // Not the dense biases: each feeds a batch norm, so its gradient is 0 in exact arithmetic
      // and both sides hold rounding noise, which Adam scales up to full-size steps; nor the
      // running means after them, which carry those biases.
      const ours = finalWeights['webgpu full'] as Array<[string, Float32Array]>;
      const theirs = finalWeights['cpu full'] as Array<[string, Float32Array]>;
      const norm = (a: Float32Array) => Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));
      const compared = theirs.filter(([name]) => !name.endsWith('_fc/bias') && !name.endsWith('/moving_mean'));
      expect(compared.length).toBeGreaterThan(8);
      for (const [name, reference] of compared) {
        const own = ours.find(([n]) => n === name)?.[1] as Float32Array;
        const diff = Math.sqrt(reference.reduce((sum, v, k) => sum + ((own[k] as number) - v) ** 2, 0));
        expect(diff / norm(reference), `${name} after ${STEPS} steps`).toBeLessThan(1e-4);
      }
      for (let i = 0; i < STEPS; i++) {
        const relative = Math.abs((actual[i] as number) - (expected[i] as number)) / Math.abs(expected[i] as number);
        expect(relative, `step ${i + 1}: webgpu ${actual[i]}, cpu ${expected[i]}`).toBeLessThan(1e-3);
      }
      expect(expected[STEPS - 1]).not.toBe(expected[0]);
    }, 240_000);
  }
});

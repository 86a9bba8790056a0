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
import { smallRunConfig } from './test-fixtures/small-run';

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

async function lossesOn(backend: string, head: 'full' | 'partial-fc'): Promise<number[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  const trainer = createTrainer(
    smallRunConfig({
      steps: STEPS,
      head: head === 'partial-fc' ? { type: 'partial-fc', sampleRate: 0.5 } : { type: 'full' },
      schedule: { type: 'polynomial', lr: 0.05, warmupSteps: 1, totalSteps: STEPS },
    }),
  );
  try {
    await trainer.train();
    const mode = trainer.stepMode;
    modes[`${backend} ${head}`] = mode?.kind === 'eager' && mode.reason !== undefined ? `eager: ${mode.reason}` : String(mode?.kind);
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
});

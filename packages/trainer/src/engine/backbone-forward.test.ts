import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { describeEachBackend, registerGradients } from '@arcface/testing';
import { TrainerConfigError } from '../errors';
import { createTrainer } from './create-trainer';
import { maxDifference, smallRunConfig, snapshot } from './test-fixtures/small-run';

beforeAll(async () => {
  await registerGradients();
});

describeEachBackend('gradient checkpoints in the trainer', () => {
  it('train to the same weights and losses as the plain forward pass', async () => {
    const runs = [];
    for (const gradientCheckpoints of ['none', 3] as const) {
      const trainer = createTrainer(smallRunConfig({ steps: 4, gradientCheckpoints }));
      // The trainer's own first step, kernel by kernel: a checkpointed forward pass is run again
      // during the backward pass, so the dense layers' matrix products run more often.
      const profile = await tf.profile(async () => {
        await trainer.trainStep();
      });
      const matMuls = profile.kernels.filter((k) => k.name === '_FusedMatMul' || k.name === 'MatMul').length;
      const result = await trainer.train();
      runs.push({ weights: await snapshot(trainer), losses: trainer.history.map((m) => m.loss), step: result.step, matMuls });
      trainer.dispose();
    }
    const [plain, checkpointed] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // The MLP's two dense layers: once forward in the plain step, and recomputed when checkpointed.
    expect(plain.matMuls).toBeGreaterThanOrEqual(2);
    expect(checkpointed.matMuls).toBeGreaterThan(plain.matMuls);
    expect(checkpointed.step).toBe(4);
    checkpointed.losses.forEach((loss, i) => expect(loss).toBeCloseTo(plain.losses[i] as number, 5));
    expect(maxDifference(checkpointed.weights, plain.weights)).toBeLessThan(1e-5);
  });
});

it('refuses a segment count that is not a positive integer, naming it', () => {
  for (const bad of [0, 2.5, -1]) {
    expect(() => createTrainer(smallRunConfig({ gradientCheckpoints: bad }))).toThrow(TrainerConfigError);
    expect(() => createTrainer(smallRunConfig({ gradientCheckpoints: bad }))).toThrow(`got ${bad}`);
  }
});

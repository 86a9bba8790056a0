import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerTestBackends } from '@arcface/testing';
import { createOptimizer, type OptimizerConfig } from '../optim/create-optimizer';
import { fullClassifier } from './full-classifier';
import type { ClassificationHead } from './head';
import { partialFc } from './partial-fc';

const C = 12;
const D = 4;
const SEED = 5;
const STEPS = 4;
const LABELS = [Int32Array.of(3, 3, 7), Int32Array.of(0, 11, 7), Int32Array.of(5, 5, 5), Int32Array.of(1, 2, 9)];

/** A gradient for row `cls` at step `step`: distinct per row, step and column, not small. */
const gradValue = (step: number, cls: number, k: number): number => Math.sin(1.3 * step + 0.7 * cls + 0.31 * k + 0.2) * (1 + 0.1 * cls);

const OPTIMIZERS: Array<{ config: OptimizerConfig; lr: number }> = [
  { config: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, lr: 0.1 },
  { config: { name: 'adamw', weightDecay: 0.1 }, lr: 0.01 },
];

/**
 * The optimiser rules in float64 on host rows, written from torch.optim.SGD / AdamW's
 * documentation (as optimizers.test.ts does per scalar): state is one array per slot.
 */
function referenceUpdate(config: OptimizerConfig, p: Float64Array, g: number[], slots: Float64Array[], lr: number, t: number): void {
  for (let k = 0; k < p.length; k++) {
    const gk = g[k] as number;
    if (config.name === 'sgd') {
      const gg = gk + (config.weightDecay as number) * (p[k] as number);
      slots[0]![k] = (config.momentum as number) * (slots[0]![k] as number) + gg;
      p[k] = (p[k] as number) - lr * (slots[0]![k] as number);
    } else {
      const [b1, b2, eps] = [0.9, 0.999, 1e-8];
      p[k] = (p[k] as number) * (1 - lr * (config.weightDecay as number));
      slots[0]![k] = b1 * (slots[0]![k] as number) + (1 - b1) * gk;
      slots[1]![k] = b2 * (slots[1]![k] as number) + (1 - b2) * gk * gk;
      const mHat = (slots[0]![k] as number) / (1 - b1 ** t);
      const vHat = (slots[1]![k] as number) / (1 - b2 ** t);
      p[k] = (p[k] as number) - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  }
}

/** Runs the head for STEPS steps with the gradient above on the rows it samples; returns which rows each step trained. */
async function train(head: ClassificationHead, config: OptimizerConfig, lr: number): Promise<Int32Array[]> {
  const optimizer = createOptimizer(config);
  const sampled: Int32Array[] = [];
  for (let step = 0; step < STEPS; step++) {
    const headStep = head.prepare(LABELS[step]!, step);
    const rows = headStep.classes ?? Int32Array.from({ length: C }, (_, i) => i);
    sampled.push(rows);
    const grad = tf.tensor2d(Array.from(rows, (cls) => Array.from({ length: D }, (_, k) => gradValue(step, cls, k))));
    await headStep.apply(grad, optimizer, lr, step + 1);
    grad.dispose();
    headStep.dispose();
  }
  return sampled;
}

/** The float64 reference of the same run: only the sampled rows (and their slots) move. */
function reference(initial: Float32Array, sampled: Int32Array[], config: OptimizerConfig, lr: number) {
  const rows = Array.from({ length: C }, (_, r) => Float64Array.from(initial.subarray(r * D, (r + 1) * D)));
  const slotCount = config.name === 'sgd' ? 1 : 2;
  const slots = Array.from({ length: C }, () => Array.from({ length: slotCount }, () => new Float64Array(D)));
  sampled.forEach((classes, step) => {
    for (const cls of classes) {
      referenceUpdate(config, rows[cls]!, Array.from({ length: D }, (_, k) => gradValue(step, cls, k)), slots[cls]!, lr, step + 1);
    }
  });
  return { centers: rows, slots };
}

function maxDifference(actual: Float32Array, expected: Float64Array[], rowsToCheck: Iterable<number>): number {
  let worst = 0;
  for (const r of rowsToCheck) for (let k = 0; k < D; k++) worst = Math.max(worst, Math.abs((actual[r * D + k] as number) - (expected[r]![k] as number)));
  return worst;
}

describe('Partial FC update', () => {
  for (const { config, lr } of OPTIMIZERS) {
    it(`at sample rate 1 equals the full classifier's step, and both meet a float64 ${config.name} reference`, async () => {
      await registerTestBackends();
      await tf.setBackend('cpu');
      const full = fullClassifier({ numClasses: C, embeddingSize: D, seed: SEED });
      const partial = partialFc({ numClasses: C, embeddingSize: D, sampleRate: 1, seed: SEED });
      const initial = (await partial.getState()).centers;
      expect(Array.from((await full.getState()).centers)).toEqual(Array.from(initial));
      const sampledFull = await train(full, config, lr);
      const sampledPartial = await train(partial, config, lr);
      // Rate 1 trains every class every step, in class order.
      for (const rows of sampledPartial) expect(Array.from(rows)).toEqual(Array.from({ length: C }, (_, i) => i));
      const [f, p] = [await full.getState(), await partial.getState()];
      for (let i = 0; i < f.centers.length; i++) expect(Math.abs((p.centers[i] as number) - (f.centers[i] as number))).toBeLessThan(1e-6);
      expect(p.slots.length).toBe(f.slots.length);
      p.slots.forEach((slot, s) => slot.forEach((v, i) => expect(Math.abs(v - (f.slots[s]![i] as number))).toBeLessThan(1e-6)));
      const expected = reference(initial, sampledFull, config, lr);
      const all = Array.from({ length: C }, (_, i) => i);
      expect(maxDifference(p.centers, expected.centers, all)).toBeLessThan(2e-6);
      // The update moved every row by far more than that tolerance.
      expect(maxDifference(initial, expected.centers, all)).toBeGreaterThan(1e-2);
      full.dispose();
      partial.dispose();
    });

    it(`at sample rate 0.25 moves only the sampled rows and their ${config.name} slots, each as the dense rule would`, async () => {
      await registerTestBackends();
      await tf.setBackend('cpu');
      const head = partialFc({ numClasses: C, embeddingSize: D, sampleRate: 0.25, seed: SEED });
      const initial = (await head.getState()).centers;
      const sampled = await train(head, config, lr);
      const everSampled = new Set(sampled.flatMap((rows) => Array.from(rows)));
      // 3 of 12 classes a step, positives included; some classes are never drawn.
      for (const [step, rows] of sampled.entries()) {
        expect(rows.length).toBe(3);
        for (const label of LABELS[step]!) expect(Array.from(rows)).toContain(label);
      }
      const never = Array.from({ length: C }, (_, i) => i).filter((c) => !everSampled.has(c));
      expect(never.length).toBeGreaterThan(0);
      const state = await head.getState();
      const expected = reference(initial, sampled, config, lr);
      // Sampled rows: the optimiser's rule with the slots each row carried from its own earlier steps.
      expect(maxDifference(state.centers, expected.centers, everSampled)).toBeLessThan(2e-6);
      for (const r of everSampled) expect(maxDifference(initial, expected.centers, [r])).toBeGreaterThan(1e-3);
      state.slots.forEach((slot, s) => {
        for (const r of everSampled) for (let k = 0; k < D; k++) expect(Math.abs((slot[r * D + k] as number) - (expected.slots[r]![s]![k] as number))).toBeLessThan(1e-6);
      });
      // Rows never drawn: weights bit-identical, slots still zero.
      for (const r of never) {
        expect(Array.from(state.centers.subarray(r * D, (r + 1) * D))).toEqual(Array.from(initial.subarray(r * D, (r + 1) * D)));
        for (const slot of state.slots) expect(Array.from(slot.subarray(r * D, (r + 1) * D))).toEqual([0, 0, 0, 0]);
      }
      head.dispose();
    });
  }
});

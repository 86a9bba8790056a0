import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { it } from 'vitest';
import { registerGradients } from '@arcface/testing';
import { createMargin } from '@arcface/margins';
import { runToyExperiment } from './run-toy';

it('tune', async () => {
  await registerGradients();
  await tf.setBackend('cpu');
  const grid = JSON.parse(process.env.TUNE ?? '[{}]') as Array<Record<string, number>>;
  for (const g of grid) {
    const t0 = performance.now();
    const { m, s, ...rest } = g;
    const toy = await runToyExperiment({ seed: 1, ...rest, margin: createMargin('additive-angular', { m: m ?? 0.5, s: s ?? 16 }) });
    console.log(JSON.stringify(g), ((performance.now() - t0) / 1000).toFixed(1) + 's', toy.panels.map((p) => `${p.label} gap ${p.gapDegrees.toFixed(1)} intra ${p.intraDegrees.toFixed(1)} acc ${p.accuracy.toFixed(3)}`).join(' | '));
  }
}, 600_000);

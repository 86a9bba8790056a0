import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';

import { syntheticDemoData, type DemoData } from '../demo/demo-data';
import { measureCircleGeometry } from './geodesic-gap';
import { runToyExperiment } from './run-toy';

describeEachBackend('runToyExperiment', () => {
  let data: DemoData;
  beforeAll(async () => {
    await registerGradients();
    data = syntheticDemoData({ trainIdentities: 8, heldOutIdentities: 0, imagesPerIdentity: 3, size: 16, seed: 3 });
  });
  afterAll(() => data.dispose());

  it('trains softmax and ArcFace with 2-D features, measures them, and leaks no tensor', async () => {
    const toy = await expectNoLeak(() => runToyExperiment({ data: data.train, steps: 3, batchSize: 8, learningRate: 0.02, seed: 1 }));
    expect(toy.identities).toBe(8);
    expect(toy.panels.map((p) => p.margin.name)).toEqual(['softmax', 'additive-angular']);
    for (const panel of toy.panels) {
      expect(panel.features).toHaveLength(24);
      expect(panel.centers).toHaveLength(8);
      // The reported gap is the geometry of the reported features.
      const again = measureCircleGeometry(panel.features.map((f) => [f.x, f.y] as [number, number]), panel.features.map((f) => f.label));
      expect(panel.gapDegrees).toBe(again.gapDegrees);
      expect(panel.accuracy).toBeGreaterThanOrEqual(0);
      expect(panel.accuracy).toBeLessThanOrEqual(1);
    }
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});

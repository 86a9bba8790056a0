import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';

import { InvalidArgumentError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';

import { measureToyGeometry } from './geodesic-gap';
import { runToyExperiment } from './run-toy';

describeEachBackend('runToyExperiment', () => {
  beforeAll(async () => {
    await registerGradients();
  });

  it('trains softmax and ArcFace with 2-D features on its own faces, measures them, and leaks no tensor', async () => {
    const seen: number[][] = [[], []];
    const toy = await expectNoLeak(() =>
      runToyExperiment({ seed: 1, steps: 3, imagesPerIdentity: 3, size: 8, hidden: 8, onStep: (panel, step, loss) => {
        expect(Number.isFinite(loss)).toBe(true);
        seen[panel]?.push(step);
      } }),
    );
    expect(seen).toEqual([[0, 1, 2], [0, 1, 2]]);
    expect(toy.identities).toBe(8);
    expect(toy.samplesPerIdentity).toBe(3);
    expect(toy.steps).toBe(3);
    expect(toy.panels.map((p) => p.margin.name)).toEqual(['softmax', 'additive-angular']);
    expect(toy.panels[1]?.margin.options).toMatchObject({ m: 0.5, s: 16 });
    for (const panel of toy.panels) {
      expect(panel.features).toHaveLength(24);
      expect(panel.centers).toHaveLength(8);
      // The reported gap is the geometry of the reported features.
      const again = measureToyGeometry(panel.features.flatMap((f) => [f.x, f.y]), panel.features.map((f) => f.label), 2);
      expect(panel.gapDegrees).toBe(again.gapDegrees);
      expect(panel.intraDegrees).toBe(again.intraDegrees);
      expect(panel.accuracy).toBeGreaterThanOrEqual(0);
      expect(panel.accuracy).toBeLessThanOrEqual(1);
    }
    // Seeded: the same run again gives the same features.
    const again = await runToyExperiment({ seed: 1, steps: 3, imagesPerIdentity: 3, size: 8, hidden: 8 });
    expect(again.panels[1]?.features).toEqual(toy.panels[1]?.features);
  });

  it('takes given images instead, and refuses bad settings', async () => {
    const images = tf.tidy(() => tf.randomNormal([6, 4, 4, 3], 0, 1, 'float32', 2)) as tf.Tensor4D;
    const data = { images, labels: Int32Array.from([0, 0, 1, 1, 2, 2]), classes: 3 };
    const toy = await expectNoLeak(() => runToyExperiment({ seed: 2, steps: 2, data }));
    expect(toy.identities).toBe(3);
    expect(toy.panels[0]?.features).toHaveLength(6);
    images.dispose();
    await expect(runToyExperiment({ seed: 1, steps: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(runToyExperiment({ seed: 1, learningRate: 0 })).rejects.toThrow(/learningRate must be positive, got 0/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { hypersphereStatistics } from '@arcface/core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';

const rad = (deg: number) => (deg * Math.PI) / 180;
const unit = (deg: number, norm = 1) => [norm * Math.cos(rad(deg)), norm * Math.sin(rad(deg))];

// The trainer's evaluation reports @arcface/core's Table 3 statistics; this pins the case it
// relies on: a class centre without samples counts in W-Inter only.
describeEachBackend('Table 3 angle statistics as the trainer reports them', () => {
  it('match a 2-D example worked by hand, with a class that has no samples', async () => {
    // Class 0: samples at ±10° around 0° (feature centre 0°), centre W0 at 5°.
    // Class 1: samples at 80° and 100° (feature centre 90°), centre W1 at 95°.
    // Class 2: W2 at 200°, no samples.
    const x = tf.tensor2d([unit(-10, 2), unit(10, 3), unit(80), unit(100, 0.5)]);
    const w = tf.tensor2d([unit(5), unit(95, 4), unit(200)]);
    const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
    const s = await expectNoLeak(() => hypersphereStatistics(x, labels, w));
    expect(s.wEC).toBeCloseTo(5, 3); // (5 + 5) / 2
    expect(s.wInter).toBeCloseTo((90 + 90 + 105) / 3, 3); // minimum angles 90, 90, 105
    expect(s.intra).toBeCloseTo(10, 3); // every sample is 10° from its feature centre
    expect(s.inter).toBeCloseTo(90, 3);
    expect(s.classesWithSamples).toBe(2);
    tf.dispose([x, w, labels]);
  });
});

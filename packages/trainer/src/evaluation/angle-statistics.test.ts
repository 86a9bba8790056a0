import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { angleStatistics } from './angle-statistics';

const rad = (deg: number) => (deg * Math.PI) / 180;
const unit = (deg: number, norm = 1) => [norm * Math.cos(rad(deg)), norm * Math.sin(rad(deg))];

describeEachBackend('Table 3 angle statistics', () => {
  it('match a 2-D example worked by hand', async () => {
    // Class 0: samples at ±10° around 0° (feature centre 0°), centre W0 at 5°.
    // Class 1: samples at 80° and 100° (feature centre 90°), centre W1 at 95°.
    // Class 2: W2 at 200°, no samples.
    const x = tf.tensor2d([unit(-10, 2), unit(10, 3), unit(80), unit(100, 0.5)]);
    const w = tf.tensor2d([unit(5), unit(95, 4), unit(200)]);
    const s = await expectNoLeak(() => angleStatistics(x, Int32Array.of(0, 0, 1, 1), w));
    expect(s.wEc).toBeCloseTo(5, 3); // (5 + 5) / 2
    expect(s.wInter).toBeCloseTo((90 + 90 + 105) / 3, 3); // minimum angles 90, 90, 105
    expect(s.intra).toBeCloseTo(10, 3); // every sample is 10° from its feature centre
    expect(s.inter).toBeCloseTo(90, 3);
    tf.dispose([x, w]);
  });
});

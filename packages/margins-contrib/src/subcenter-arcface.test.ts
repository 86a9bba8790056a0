import * as tf from '@tensorflow/tfjs-core';
import { checkMargin } from '@arcface/margins';
import { ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { randomCosines, seeded, subcenterReference } from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { poolSubcenters, subcenterArcFace, subcenterOutliers } from './subcenter-arcface';

const labels = [0, 3, 1, 2, 3];

describeEachBackend('subcenterArcFace', () => {
  beforeAll(registerGradients);
  const cos = randomCosines(seeded(8), 5, 4 * 3); // 4 classes × K = 3

  for (const boundary of ['thmm', 'none', 'easy'] as const) {
    it(`pools [B, C·K] to [B, C] and matches the float64 reference (boundary '${boundary}')`, () => {
      const margin = subcenterArcFace({ boundary });
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32')));
      expect(out.shape).toEqual([5, 4]);
      expectMatrixClose(toMatrix(out), subcenterReference(cos, labels, { k: 3, m: 0.5, s: 64, boundary }), 5e-4);
      out.dispose();
    });
  }

  it('sends the gradient to the winning sub-centre only, as the formula says', () => {
    const margin = subcenterArcFace();
    const l = tf.tensor1d(labels, 'int32');
    expectGradientMatches(
      (c) => margin.logits(c, l),
      (c) => subcenterReference(c, labels, { k: 3, m: 0.5, s: 64, boundary: 'thmm' }),
      cos,
      randomCosines(seeded(2), 5, 4, -1, 1),
      64,
      2e-3,
    );
    l.dispose();
  });

  it('leaks no tensor and refuses columns that are not C·K', async () => {
    const margin = subcenterArcFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    await expectNoLeak(() => margin.logits(c, l));
    await expectNoLeak(() => poolSubcenters(c, 3));
    const wrong = tf.zeros([5, 10]) as tf.Tensor2D;
    expect(() => margin.logits(wrong, l)).toThrow(ShapeMismatchError);
    tf.dispose([c, l, wrong]);
  });

  it('passes checkMargin (the laws concern the target curve, the same for every K; checked at K = 1)', () => {
    expect(checkMargin(subcenterArcFace({ k: 1 })).ok).toBe(true);
    expect(() => subcenterArcFace({ k: 2.5 })).toThrow(/k.*2\.5/);
  });

  it('finds the dominant sub-centre and the samples more than 75° from it', async () => {
    // Class 0 has sub-centres at 0° and 90°; class 1 at 180° and 270°. Angles of samples below.
    const unit = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    const centres = tf.tensor2d([unit(0), unit(90), unit(180), unit(270)]);
    const angles = [5, -10, 20, 100, 185, 170, 280, 190, 10];
    const embeddings = tf.tensor2d(angles.map(unit));
    const classes = tf.tensor1d([0, 0, 0, 0, 1, 1, 1, 1, 1], 'int32');
    const found = await expectNoLeak(() => subcenterOutliers(embeddings, centres, classes, { k: 2 }));
    expect(Array.from(found.dominant)).toEqual([0, 0]);
    expect(found.outliers).toEqual([3, 6, 8]); // 100° from 0°; 280° is 100° from 180°; 10° is 170° from 180°
    expect(found.angles[0]).toBeCloseTo(5, 3);
    tf.dispose([centres, embeddings, classes]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { marginSoftmaxLoss } from '@arcface/margins';
import { ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import {
  cosineRows,
  curricularFaceReference,
  magFaceReference,
  normalizeRows,
  numericGradient,
  randomCosines,
  seeded,
  softmaxCrossEntropy,
  subcenterReference,
} from '../test/float64-reference';
import { expectMatrixClose, toMatrix } from '../test/helpers';
import { autodiffMarginLoss } from './autodiff-margin-loss';
import { curricularFace } from './curricular-face';
import { magFace } from './mag-face';
import { subcenterArcFace } from './subcenter-arcface';

const labels = [0, 2, 1, 2, 0];

describeEachBackend('autodiffMarginLoss', () => {
  beforeAll(registerGradients);
  const random = seeded(23);
  // Norms of a few units to a few tens, so MagFace's margin moves with them.
  const x = randomCosines(random, 5, 6, -8, 8);
  const w = randomCosines(random, 3, 6, -1, 1);

  it('MagFace: value and gradient in x (through cosines, m(‖x‖) and the regulariser) match float64', () => {
    const options = { la: 1, ua: 20, lm: 0.3, um: 0.6, lambdaG: 2, s: 8, boundary: 'thmm' as const };
    const margin = magFace({ lowerNorm: 1, upperNorm: 20, lowerMargin: 0.3, upperMargin: 0.6, lambdaG: 2, s: 8, boundary: 'thmm' });
    const reference = (xs: number[][]) => {
      const r = magFaceReference(cosineRows(xs, w), labels, normalizeRows(xs).norms, options);
      return softmaxCrossEntropy(r.logits, labels) + r.regularizer;
    };
    const l = tf.tensor1d(labels, 'int32');
    const wt = tf.tensor2d(w);
    const loss = tf.tidy(() => autodiffMarginLoss(tf.tensor2d(x), wt, l, margin));
    expect(Math.abs((loss.dataSync()[0] as number) - reference(x))).toBeLessThan(1e-4);
    const g = tf.grad((xs: tf.Tensor) => autodiffMarginLoss(xs as tf.Tensor2D, wt, l, margin))(tf.tensor2d(x));
    expectMatrixClose(toMatrix(g), numericGradient(reference, x), 2e-4);
    tf.dispose([loss, g, l, wt]);
  });

  it('Sub-center ArcFace: centres [C·K, D], cross-entropy over C classes, gradient in the centres', () => {
    const centres = randomCosines(random, 3 * 2, 6, -1, 1);
    const margin = subcenterArcFace({ k: 2, s: 8 });
    const reference = (ws: number[][]) =>
      softmaxCrossEntropy(subcenterReference(cosineRows(x, ws), labels, { k: 2, m: 0.5, s: 8, boundary: 'thmm' }), labels);
    const l = tf.tensor1d(labels, 'int32');
    const xt = tf.tensor2d(x);
    const g = tf.grad((ws: tf.Tensor) => autodiffMarginLoss(xt, ws as tf.Tensor2D, l, margin))(tf.tensor2d(centres));
    expectMatrixClose(toMatrix(g), numericGradient(reference, centres), 2e-4);
    tf.dispose([g, l, xt]);
  });

  it('agrees with marginSoftmaxLoss where both apply (CurricularFace, t fixed)', () => {
    const margin = curricularFace({ initialT: 0.3, s: 8 });
    const l = tf.tensor1d(labels, 'int32');
    const [xt, wt] = [tf.tensor2d(x), tf.tensor2d(w)];
    const ours = tf.tidy(() => autodiffMarginLoss(xt, wt, l, margin, { training: false }));
    const theirs = tf.tidy(() => marginSoftmaxLoss(xt, wt, l, margin, { training: false }));
    const expected = softmaxCrossEntropy(
      curricularFaceReference(cosineRows(x, w), labels, { m: 0.5, s: 8, momentum: 0.01, t: 0.3, training: false }).logits,
      labels,
    );
    expect(Math.abs((ours.dataSync()[0] as number) - expected)).toBeLessThan(1e-4);
    expect(Math.abs((theirs.dataSync()[0] as number) - expected)).toBeLessThan(1e-4);
    tf.dispose([ours, theirs, l, xt, wt]);
  });

  it('leaks no tensor and refuses mismatched shapes', async () => {
    const margin = magFace();
    const [xt, wt, l] = [tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32')];
    await expectNoLeak(() => autodiffMarginLoss(xt, wt, l, margin));
    const wrong = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => autodiffMarginLoss(xt, wrong, l, margin)).toThrow(ShapeMismatchError);
    tf.dispose([xt, wt, l, wrong]);
  });
});

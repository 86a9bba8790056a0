import * as tf from '@tensorflow/tfjs-core';
import { InvalidLabelsError, hasClosedFormGradient, marginSoftmaxLoss } from '@arcface/margins';
import { ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import {
  type Matrix,
  adaFaceReference,
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
import { ADAFACE_DEFAULTS, adaFace } from './adaface';
import { curricularFace } from './curricular-face';
import { magFace } from './mag-face';
import { subcenterArcFace } from './subcenter-arcface';

// The margins of this package trained through @arcface/margins' own loss, against central
// differences of float64 losses written from the papers' formulas.

const labels = [0, 2, 1, 2, 0];

/** tf.grad of marginSoftmaxLoss with respect to x (`of: 'x'`) or the centres, leak-checked. */
async function gradient(
  margin: Parameters<typeof marginSoftmaxLoss>[3],
  x: Matrix,
  w: Matrix,
  of: 'x' | 'w',
  context: Parameters<typeof marginSoftmaxLoss>[4] = {},
): Promise<Matrix> {
  const [xt, wt, l] = [tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32')];
  const g = await expectNoLeak(() =>
    of === 'x'
      ? tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, wt, l, margin, context))(xt)
      : tf.grad((b: tf.Tensor) => marginSoftmaxLoss(xt, b as tf.Tensor2D, l, margin, context))(wt),
  );
  const out = toMatrix(g);
  tf.dispose([g, xt, wt, l]);
  return out;
}

function lossValue(margin: Parameters<typeof marginSoftmaxLoss>[3], x: Matrix, w: Matrix, context = {}): number {
  const loss = tf.tidy(() => marginSoftmaxLoss(tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32'), margin, context));
  const value = loss.dataSync()[0] as number;
  loss.dispose();
  return value;
}

/** max |a − e| over max |e|. */
function relativeError(actual: Matrix, expected: Matrix): number {
  const scale = Math.max(...expected.flat().map(Math.abs));
  return Math.max(...actual.flat().map((v, i) => Math.abs(v - (expected.flat()[i] as number)))) / scale;
}

describeEachBackend('contrib margins through marginSoftmaxLoss', () => {
  beforeAll(registerGradients);
  const random = seeded(23);
  // Norms of a few units to a few tens, so MagFace's margin moves with them.
  const x = randomCosines(random, 5, 6, -8, 8);
  const w = randomCosines(random, 3, 6, -1, 1);

  it('take the general path: no contrib margin with its own logits has a target form', () => {
    for (const margin of [adaFace(), curricularFace(), magFace(), subcenterArcFace()]) {
      expect(margin.target, margin.name).toBeUndefined();
      expect(hasClosedFormGradient(margin), margin.name).toBe(false);
    }
  });

  it('MagFace: value and dL/dx (through cosines, m(‖x‖) and the regulariser) match float64', async () => {
    const options = { la: 1, ua: 20, lm: 0.3, um: 0.6, lambdaG: 2, s: 8, boundary: 'thmm' as const };
    const margin = magFace({ lowerNorm: 1, upperNorm: 20, lowerMargin: 0.3, upperMargin: 0.6, lambdaG: 2, s: 8, boundary: 'thmm' });
    const reference = (xs: Matrix, frozen?: number[]) => {
      const r = magFaceReference(cosineRows(xs, w), labels, frozen ?? normalizeRows(xs).norms, options);
      return softmaxCrossEntropy(r.logits, labels) + r.regularizer;
    };
    expect(Math.abs(lossValue(margin, x, w) - reference(x))).toBeLessThan(1e-4);
    const expected = numericGradient(reference, x);
    expectMatrixClose(await gradient(margin, x, w, 'x'), expected, 2e-4);
    expectMatrixClose(await gradient(margin, x, w, 'w'), numericGradient((ws) => {
      const r = magFaceReference(cosineRows(x, ws), labels, normalizeRows(x).norms, options);
      return softmaxCrossEntropy(r.logits, labels) + r.regularizer;
    }, w), 2e-4);
    // m(‖x‖) matters: with the norms held fixed (the margin's share of d/d‖x‖ lost) dL/dx moves this much.
    const norms = normalizeRows(x).norms;
    const regularizerOnly = numericGradient((xs) => {
      const frozen = magFaceReference(cosineRows(xs, w), labels, norms, options);
      return softmaxCrossEntropy(frozen.logits, labels) + magFaceReference(cosineRows(xs, w), labels, normalizeRows(xs).norms, options).regularizer;
    }, x);
    expect(relativeError(regularizerOnly, expected)).toBeGreaterThan(1e-2);
  });

  it('AdaFace: the norms steer the margin but get no gradient (detached, as head.py)', async () => {
    // μ and σ near these norms, so ẑ moves with ‖x‖ and a gradient through it would show.
    const settings = { initialMean: 8, initialStd: 3, s: 8 };
    const reference = (xs: Matrix, training: boolean, frozen?: number[]) =>
      softmaxCrossEntropy(
        adaFaceReference(cosineRows(xs, w), labels, frozen ?? normalizeRows(xs).norms, {
          ...ADAFACE_DEFAULTS,
          s: 8,
          mean: 8,
          std: 3,
          training,
        }).logits,
        labels,
      );
    const norms = normalizeRows(x).norms;
    for (const training of [false, true]) {
      // tAlpha = 1: a training call uses its batch's statistics, whatever came before.
      const margin = adaFace(settings);
      expect(Math.abs(lossValue(margin, x, w, { training }) - reference(x, training)), `training ${training}`).toBeLessThan(1e-4);
      const expected = numericGradient((xs) => reference(xs, training, norms), x);
      expectMatrixClose(await gradient(margin, x, w, 'x', { training }), expected, 2e-4);
      const throughNorms = numericGradient((xs) => reference(xs, training), x);
      expect(relativeError(throughNorms, expected), 'the detach matters here').toBeGreaterThan(1e-2);
    }
  });

  it('Sub-center ArcFace: centres [C·K, D], cross-entropy over C classes, gradients in x and the centres', async () => {
    const centres = randomCosines(random, 3 * 2, 6, -1, 1);
    const margin = subcenterArcFace({ k: 2, s: 8 });
    const reference = (xs: Matrix, ws: Matrix) =>
      softmaxCrossEntropy(subcenterReference(cosineRows(xs, ws), labels, { k: 2, m: 0.5, s: 8, boundary: 'thmm' }), labels);
    expect(Math.abs(lossValue(margin, x, centres) - reference(x, centres))).toBeLessThan(1e-4);
    expectMatrixClose(await gradient(margin, x, centres, 'w'), numericGradient((ws) => reference(x, ws), centres), 2e-4);
    expectMatrixClose(await gradient(margin, x, centres, 'x'), numericGradient((xs) => reference(xs, centres), x), 2e-4);
  });

  it('CurricularFace (t fixed): value and dL/dx match float64', async () => {
    const margin = curricularFace({ initialT: 0.3, s: 8 });
    const reference = (xs: Matrix) =>
      softmaxCrossEntropy(
        curricularFaceReference(cosineRows(xs, w), labels, { m: 0.5, s: 8, momentum: 0.01, t: 0.3, training: false }).logits,
        labels,
      );
    expect(Math.abs(lossValue(margin, x, w, { training: false }) - reference(x))).toBeLessThan(1e-4);
    expectMatrixClose(await gradient(margin, x, w, 'x', { training: false }), numericGradient(reference, x), 2e-4);
  });

  it('leaks no tensor and refuses mismatched shapes and labels past the pooled classes', async () => {
    const [xt, wt, l] = [tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32')];
    await expectNoLeak(() => marginSoftmaxLoss(xt, wt, l, magFace()));
    const wrong = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => marginSoftmaxLoss(xt, wrong, l, magFace())).toThrow(ShapeMismatchError);
    // 3 classes × K = 2: label 4 is a centre row, not a class.
    const centres = tf.tensor2d(randomCosines(random, 3 * 2, 6, -1, 1));
    const past = tf.tensor1d([0, 1, 2, 4, 0], 'int32');
    expect(() => marginSoftmaxLoss(xt, centres, past, subcenterArcFace({ k: 2 }))).toThrow(InvalidLabelsError);
    tf.dispose([xt, wt, l, wrong, centres, past]);
  });
});

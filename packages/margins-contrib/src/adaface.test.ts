import * as tf from '@tensorflow/tfjs-core';
import { checkMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaFaceReference, randomCosines, seeded } from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { ADAFACE_DEFAULTS, adaFace, adaFaceTarget } from './adaface';
import { MissingFeatureNormsError } from './errors';

const labels = [0, 3, 2, 1, 4, 2];
const norms = [3.5, 12, 25, 40, 61, 150];

describe('adaFaceTarget (float64)', () => {
  it('is CosFace at ẑ = 0 and shifts angle and offset by ±m at ẑ = ±1', () => {
    const theta = 1.1;
    expect(adaFaceTarget(theta, 0)).toBeCloseTo(Math.cos(theta) - 0.4, 14);
    expect(adaFaceTarget(theta, 1)).toBeCloseTo(Math.cos(theta - 0.4) - 0.8, 14);
    expect(adaFaceTarget(theta, -1)).toBeCloseTo(Math.cos(theta + 0.4), 14);
  });
});

describeEachBackend('adaFace', () => {
  beforeAll(registerGradients);
  const random = seeded(11);
  const cos = randomCosines(random, 6, 5);

  it('matches the float64 reference of head.py, with batch statistics (tAlpha = 1)', () => {
    const margin = adaFace();
    const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { featureNorms: tf.tensor1d(norms), training: true }));
    const expected = adaFaceReference(cos, labels, norms, { ...ADAFACE_DEFAULTS, s: 64, mean: 20, std: 100, training: true });
    expectMatrixClose(toMatrix(out), expected.logits, 5e-4);
    out.dispose();
  });

  it('carries running statistics across calls (tAlpha = 0.3) and freezes them when not training', () => {
    const margin = adaFace({ tAlpha: 0.3 });
    const options = { ...ADAFACE_DEFAULTS, tAlpha: 0.3, s: 64 };
    let state = { mean: 20, std: 100 };
    const batches = [norms, norms.map((n) => n * 0.5 + 4)];
    for (const batch of batches) {
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { featureNorms: tf.tensor1d(batch) }));
      const expected = adaFaceReference(cos, labels, batch, { ...options, ...state, training: true });
      expectMatrixClose(toMatrix(out), expected.logits, 5e-4);
      out.dispose();
      state = { mean: expected.mean, std: expected.std };
    }
    const frozen = tf.tidy(() =>
      margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { featureNorms: tf.tensor1d(norms), training: false }),
    );
    expectMatrixClose(toMatrix(frozen), adaFaceReference(cos, labels, norms, { ...options, ...state, training: false }).logits, 5e-4);
    frozen.dispose();
  });

  it('passes no gradient to the norms and the formula’s gradient to the cosines', () => {
    const margin = adaFace();
    const labelTensor = tf.tensor1d(labels, 'int32');
    const normTensor = tf.tensor1d(norms);
    const weights = randomCosines(seeded(3), 6, 5, -1, 1);
    const context = { featureNorms: normTensor, training: false };
    const normGrad = tf.tidy(() =>
      tf.grad((n: tf.Tensor) => tf.sum(margin.logits(tf.tensor2d(cos), labelTensor, { featureNorms: n as tf.Tensor1D, training: false })))(normTensor),
    );
    expect(Array.from(normGrad.dataSync()).every((g) => g === 0)).toBe(true);
    expectGradientMatches(
      (c) => margin.logits(c, labelTensor, context),
      (c) => adaFaceReference(c, labels, norms, { ...ADAFACE_DEFAULTS, s: 64, mean: 20, std: 100, training: false }).logits,
      cos,
      weights,
      64,
      2e-3,
    );
    tf.dispose([normGrad, labelTensor, normTensor]);
  });

  it('clamps every cosine as head.py: non-target cosines at ±1 give s·(1 − ε) and no gradient (logits and gradients vs float64)', () => {
    // non-target cosines at and near ±1, on both sides of the clamp 1 − ε = 0.999; targets inside
    const edge = [
      [0.3, 0.9999, -0.9999, 0.2, 1],
      [-1, 0.5, 0.99899, -0.99901, 0.1],
      [0.9995, -0.2, 0.9999999, -1, 0.4],
      [0.7, 0.1, -0.5, 0.99, 0.9999],
    ];
    const rows = [0, 1, 4, 0];
    const edgeNorms = [8, 20, 35, 60];
    const options = { ...ADAFACE_DEFAULTS, s: 64, mean: 20, std: 100, training: false };
    const margin = adaFace();
    const l = tf.tensor1d(rows, 'int32');
    const n = tf.tensor1d(edgeNorms);
    const out = tf.tidy(() => margin.logits(tf.tensor2d(edge), l, { featureNorms: n, training: false }));
    const expected = adaFaceReference(edge, rows, edgeNorms, options).logits;
    expectMatrixClose(toMatrix(out), expected, 2e-5);
    // the numbers: a non-target cosine of 0.9999 gives 64·0.999 = 63.936, not 63.9936
    expect(toMatrix(out)[0]![1]).toBeCloseTo(63.936, 4);
    out.dispose();
    expectGradientMatches(
      (c) => margin.logits(c, l, { featureNorms: n, training: false }),
      (c) => adaFaceReference(c, rows, edgeNorms, options).logits,
      edge,
      randomCosines(seeded(9), 4, 5, -1, 1),
      64,
      1e-4,
    );
    // past the clamp the gradient is exactly 0, inside it exactly 1 (times the weight)
    const grad = tf.tidy(() => tf.grad((c: tf.Tensor) => tf.sum(margin.logits(c as tf.Tensor2D, l, { featureNorms: n, training: false })))(tf.tensor2d(edge)));
    const g = toMatrix(grad);
    expect([g[0]![1], g[0]![2], g[0]![4], g[1]![0], g[2]![2]]).toEqual([0, 0, 0, 0, 0]);
    expect(g[1]![2]).toBeCloseTo(64, 3);
    tf.dispose([grad, l, n]);
  });

  it('leaks no tensor (after the first call creates its running statistics)', async () => {
    const margin = adaFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    const n = tf.tensor1d(norms);
    margin.logits(c, l, { featureNorms: n }).dispose();
    await expectNoLeak(() => margin.logits(c, l, { featureNorms: n }));
    tf.dispose([c, l, n]);
  });

  it('passes checkMargin (the target of a sample of average norm)', () => {
    const report = checkMargin(adaFace());
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses norms of the wrong shape and bad options, naming the value', () => {
    const margin = adaFace();
    expect(() =>
      tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { featureNorms: tf.tensor1d([1, 2]) })),
    ).toThrow(MissingFeatureNormsError);
    expect(() => adaFace({ h: -1 })).toThrow(/h.*-1/);
    expect(() => adaFace({ tAlpha: 2 })).toThrow(expect.objectContaining({ code: 'ERR_MARGIN_OPTION' }));
  });
});

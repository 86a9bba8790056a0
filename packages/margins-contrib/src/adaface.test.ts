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

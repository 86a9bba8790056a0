import * as tf from '@tensorflow/tfjs-core';
import { checkMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { magFaceReference, randomCosines, seeded } from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { MissingFeatureNormsError } from './errors';
import { magFace, magFaceLambdaLowerBound, magFaceMargin } from './mag-face';

const labels = [2, 0, 1, 3, 3];
const norms = [4, 10.5, 37.5, 90, 200];
const defaults = { la: 10, ua: 110, lm: 0.45, um: 0.8, lambdaG: 20, s: 64 };

describe('magFace (float64)', () => {
  it('grows the margin linearly from l_m at l_a to u_m at u_a, clipped outside', () => {
    expect(magFaceMargin(10)).toBeCloseTo(0.45, 15);
    expect(magFaceMargin(110)).toBeCloseTo(0.8, 15);
    expect(magFaceMargin(60)).toBeCloseTo(0.625, 15);
    expect(magFaceMargin(1)).toBeCloseTo(0.45, 15);
    expect(magFaceMargin(500)).toBeCloseTo(0.8, 15);
  });
  it('states the paper’s lower bound on λ_g (above the default 20)', () => {
    const k = 0.35 / 100;
    expect(magFaceLambdaLowerBound()).toBeCloseTo((64 * k * 110 ** 2 * 10 ** 2) / (110 ** 2 - 10 ** 2), 10);
    expect(magFaceLambdaLowerBound()).toBeGreaterThan(20);
  });
});

describeEachBackend('magFace', () => {
  beforeAll(registerGradients);
  const cos = randomCosines(seeded(21), 5, 4);

  for (const boundary of ['easy', 'thmm', 'none'] as const) {
    it(`matches the float64 reference (boundary '${boundary}'), regulariser included`, () => {
      const margin = magFace({ boundary });
      const n = tf.tensor1d(norms);
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { featureNorms: n }));
      const reg = (margin.regularizer as NonNullable<typeof margin.regularizer>)({ featureNorms: n });
      const expected = magFaceReference(cos, labels, norms, { ...defaults, boundary });
      expectMatrixClose(toMatrix(out), expected.logits, 5e-4);
      expect(reg.dataSync()[0]).toBeCloseTo(expected.regularizer, 4);
      tf.dispose([out, reg, n]);
    });
  }

  it('passes gradients to the cosines and, through m(a) and the regulariser, to the norms', () => {
    const margin = magFace({ boundary: 'thmm' });
    const l = tf.tensor1d(labels, 'int32');
    const n = tf.tensor1d(norms);
    expectGradientMatches(
      (c) => margin.logits(c, l, { featureNorms: n }),
      (c) => magFaceReference(c, labels, norms, { ...defaults, boundary: 'thmm' }).logits,
      cos,
      randomCosines(seeded(4), 5, 4, -1, 1),
      64,
      2e-3,
    );
    const c = tf.tensor2d(cos);
    const total = (x: tf.Tensor) =>
      tf.add(
        tf.div(tf.sum(margin.logits(c, l, { featureNorms: x as tf.Tensor1D })), 64),
        (margin.regularizer as NonNullable<typeof margin.regularizer>)({ featureNorms: x as tf.Tensor1D }),
      );
    const g = tf.grad(total)(n);
    const actual = Array.from(g.dataSync());
    const f = (values: number[]) => {
      const r = magFaceReference(cos, labels, values, { ...defaults, boundary: 'thmm' });
      return r.logits.flat().reduce((a, b) => a + b, 0) / 64 + r.regularizer;
    };
    norms.forEach((value, i) => {
      const h = 1e-4;
      const up = [...norms];
      const down = [...norms];
      up[i] = value + h;
      down[i] = value - h;
      const numeric = (f(up) - f(down)) / (2 * h);
      expect(Math.abs((actual[i] as number) - numeric), `norm ${value}`).toBeLessThan(1e-4 + 1e-3 * Math.abs(numeric));
    });
    expect(actual[0]).toBe(0); // below l_a: clipped, no gradient
    expect(actual[2]).not.toBe(0);
    tf.dispose([g, c, l, n]);
  });

  it('leaks no tensor', async () => {
    const margin = magFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    const n = tf.tensor1d(norms);
    await expectNoLeak(() => margin.logits(c, l, { featureNorms: n }));
    await expectNoLeak(() => (margin.regularizer as NonNullable<typeof margin.regularizer>)({ featureNorms: n }));
    tf.dispose([c, l, n]);
  });

  it("passes checkMargin with 'thmm'; the original 'easy' boundary is not monotone at 90°", () => {
    expect(checkMargin(magFace({ boundary: 'thmm' })).ok).toBe(true);
    const easy = checkMargin(magFace());
    expect(easy.checks.monotone).toBe(false);
    expect(easy.checks.belowCosine && easy.checks.finite && easy.checks.finiteGradient).toBe(true);
    for (const v of easy.violations) expect(Math.abs(v.theta - Math.PI / 2)).toBeLessThan(1e-3);
  });

  it('needs norms for its regulariser and refuses bad options', () => {
    const margin = magFace();
    expect(() => (margin.regularizer as NonNullable<typeof margin.regularizer>)({})).toThrow(MissingFeatureNormsError);
    expect(() => magFace({ lowerNorm: 50, upperNorm: 40 })).toThrow(/upperNorm.*40/);
    expect(() => magFace({ boundary: 'reflect' as 'easy' })).toThrow(/reflect/);
  });
});

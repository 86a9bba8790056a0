import * as tf from '@tensorflow/tfjs-core';
import { checkMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { arcTarget, curricularFaceReference, randomCosines, seeded } from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { curricularFace, curricularFaceNegative } from './curricular-face';

const labels = [1, 0, 4, 2, 3, 1, 0];

describe('curricularFace (float64)', () => {
  it('follows ArcFace with the th/mm boundary on the target', () => {
    const margin = curricularFace();
    for (const theta of [0, 0.4, 1.2, 2.0, Math.PI - 0.5 + 1e-3, 3.0, Math.PI]) {
      expect(margin.targetLogit(theta, 0)).toBeCloseTo(arcTarget(Math.cos(theta), 0.5, 'thmm'), 12);
    }
  });
  it('modulates only hard negatives', () => {
    expect(curricularFaceNegative(0.3, 0.5, 0.9)).toBe(0.3);
    expect(curricularFaceNegative(0.6, 0.5, 0.2)).toBeCloseTo(0.48, 15);
  });
});

describeEachBackend('curricularFace', () => {
  beforeAll(registerGradients);
  // Targets and negatives spread over [-0.95, 0.95], so both easy and hard negatives occur.
  const cos = randomCosines(seeded(5), 7, 6);

  it('matches the float64 reference over three training calls (t follows mean cos θ_y)', () => {
    const margin = curricularFace({ momentum: 0.3 });
    let t = 0;
    for (let call = 0; call < 3; call += 1) {
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { training: true }));
      const expected = curricularFaceReference(cos, labels, { m: 0.5, s: 64, momentum: 0.3, t, training: true });
      expectMatrixClose(toMatrix(out), expected.logits, 5e-4);
      out.dispose();
      t = expected.t;
    }
    const hard = cos.some((row, i) => row.some((c, j) => j !== labels[i] && c > Math.cos(Math.acos(row[labels[i] as number] as number) + 0.5)));
    expect(hard, 'the inputs include hard negatives').toBe(true);
  });

  it('has the formula’s gradient with respect to every cosine (t held fixed)', () => {
    const margin = curricularFace({ initialT: 0.4 });
    const l = tf.tensor1d(labels, 'int32');
    expectGradientMatches(
      (c) => margin.logits(c, l, { training: false }),
      (c) => curricularFaceReference(c, labels, { m: 0.5, s: 64, momentum: 0.01, t: 0.4, training: false }).logits,
      cos,
      randomCosines(seeded(9), 7, 6, -1, 1),
      64,
      2e-3,
    );
    l.dispose();
  });

  it('leaks no tensor', async () => {
    const margin = curricularFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    margin.logits(c, l).dispose();
    await expectNoLeak(() => margin.logits(c, l));
    tf.dispose([c, l]);
  });

  it('passes checkMargin on its target curve (non-target modulation is outside the laws)', () => {
    expect(checkMargin(curricularFace()).ok).toBe(true);
  });

  it('refuses bad options', () => {
    expect(() => curricularFace({ momentum: 1.5 })).toThrow(/momentum.*1\.5/);
    expect(() => curricularFace({ m: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_MARGIN_OPTION' }));
  });
});

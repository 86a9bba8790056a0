import * as tf from '@tensorflow/tfjs-core';
import { checkMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { elasticReference, randomCosines, seeded } from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { elasticFace, elasticFaceDraw } from './elastic-face';

const labels = [2, 0, 1, 1, 3, 0, 2, 3];

describeEachBackend('elasticFace', () => {
  beforeAll(registerGradients);
  const cos = randomCosines(seeded(13), 8, 4);

  for (const variant of ['arc', 'cos'] as const) {
    it(`'${variant}': matches the float64 reference with the margins drawn for the step`, () => {
      const margin = elasticFace({ variant, seed: 7 });
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { step: 42 }));
      const drawn = elasticFaceDraw(8, { variant, seed: 7 }, 42);
      const margins = Array.from(drawn.dataSync());
      drawn.dispose();
      expectMatrixClose(toMatrix(out), elasticReference(cos, labels, margins, { variant, s: 64 }), 5e-4);
      out.dispose();
      const mean = variant === 'arc' ? 0.5 : 0.35;
      expect(margins.every((m) => Math.abs(m - mean) < 0.3)).toBe(true);
      expect(new Set(margins).size).toBe(8); // one margin per sample
    });
  }

  it('draws N(m, σ): mean and spread over many samples, reproducible per (seed, step)', () => {
    const a = elasticFaceDraw(20000, { sigma: 0.05, seed: 1 }, 3);
    const b = elasticFaceDraw(20000, { sigma: 0.05, seed: 1 }, 3);
    const c = elasticFaceDraw(20000, { sigma: 0.05, seed: 1 }, 4);
    const values = Array.from(a.dataSync());
    const mean = values.reduce((x, y) => x + y, 0) / values.length;
    const sd = Math.sqrt(values.reduce((x, y) => x + (y - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.002);
    expect(Math.abs(sd - 0.05)).toBeLessThan(0.002);
    expect(Array.from(b.dataSync())).toEqual(values);
    expect(Array.from(c.dataSync())).not.toEqual(values);
    tf.dispose([a, b, c]);
  });

  it('has the formula’s gradient at the drawn margins', () => {
    const margin = elasticFace({ seed: 3 });
    const l = tf.tensor1d(labels, 'int32');
    const drawn = elasticFaceDraw(8, { seed: 3 }, 5);
    const margins = Array.from(drawn.dataSync());
    drawn.dispose();
    expectGradientMatches(
      (c) => margin.logits(c, l, { step: 5 }),
      (c) => elasticReference(c, labels, margins, { variant: 'arc', s: 64 }),
      cos,
      randomCosines(seeded(6), 8, 4, -1, 1),
      64,
      2e-3,
    );
    l.dispose();
  });

  it('leaks no tensor', async () => {
    const margin = elasticFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    await expectNoLeak(() => margin.logits(c, l, { step: 1 }));
    tf.dispose([c, l]);
  });

  it("checkMargin: 'cos' passes; 'arc' has no threshold, as the paper, and fails past π − m only", () => {
    expect(checkMargin(elasticFace({ variant: 'cos' })).ok).toBe(true);
    const arc = checkMargin(elasticFace(), { maxViolationsPerLaw: 10_000 });
    // cos(θ + m) rises again once θ + m > π, and there climbs above cos θ (past θ = π − m/2).
    expect(arc.checks.monotone).toBe(false);
    expect(arc.checks.belowCosine).toBe(false);
    expect(arc.checks.finite && arc.checks.finiteGradient).toBe(true);
    for (const v of arc.violations) expect(v.theta).toBeGreaterThan(Math.PI - 0.5 - 1e-9);
    expect(() => elasticFace({ sigma: -0.1 })).toThrow(/sigma.*-0\.1/);
    expect(() => elasticFace({ variant: 'sine' as 'arc' })).toThrow(/sine/);
  });
});

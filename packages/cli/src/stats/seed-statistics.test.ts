import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { meanInterval, pairedComparison } from './seed-statistics';
import { logGamma, studentTCdf, studentTQuantile } from './student-t';

// Reference values from SciPy 1.17 (scipy.stats.t.ppf / t.cdf, ttest_rel, binomtest, t.interval).
const T975: Array<[number, number]> = [
  [1, 12.706204736174694],
  [2, 4.302652729749462],
  [3, 3.1824463052837078],
  [4, 2.7764451051977934],
  [5, 2.5705818356363146],
  [9, 2.262157162798205],
  [29, 2.045229642132703],
];
const CDF: Array<[number, number, number]> = [
  [1, -1.3, 0.20871440016015272],
  [2, -1.3, 0.16162351590802015],
  [4, -1.3, 0.13172579823561206],
  [9, -1.3, 0.11295318633652467],
  [1, 2.5, 0.8788810584091566],
  [5, 2.5, 0.9727549503288119],
  [29, 2.5, 0.9908373278307869],
];

describe("Student's t", () => {
  it('matches SciPy: 97.5% quantiles and CDF values to 1e-9', () => {
    for (const [df, q] of T975) expect(Math.abs(studentTQuantile(0.975, df) - q)).toBeLessThan(1e-9);
    for (const [df, t, p] of CDF) expect(Math.abs(studentTCdf(t, df) - p)).toBeLessThan(1e-10);
  });

  it('ln Γ agrees with factorials and Γ(1/2) = √π', () => {
    let factorial = 1;
    for (let n = 1; n <= 20; n += 1) {
      factorial *= n;
      expect(Math.abs(logGamma(n + 1) - Math.log(factorial))).toBeLessThan(1e-12 * Math.max(1, Math.log(factorial)));
    }
    expect(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI))).toBeLessThan(1e-13);
  });

  it('is symmetric and the quantile inverts the CDF', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.integer({ min: 1, max: 200 }), (p, df) => {
        const q = studentTQuantile(p, df);
        expect(Math.abs(studentTCdf(q, df) - p)).toBeLessThan(1e-9);
        expect(Math.abs(studentTCdf(-q, df) - (1 - p))).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('seed statistics', () => {
  it('meanInterval matches scipy.stats.t.interval', () => {
    const r = meanInterval([0.91, 0.93, 0.95]);
    expect(r.mean).toBeCloseTo(0.93, 14);
    expect(Math.abs(r.low - 0.8803172457649936)).toBeLessThan(1e-10);
    expect(Math.abs(r.high - 0.9796827542350065)).toBeLessThan(1e-10);
    expect(meanInterval([0.9]).low).toBeNaN();
  });

  it('pairedComparison matches ttest_rel, t.interval and binomtest', () => {
    const a = [0.915, 0.9517, 0.93, 0.94, 0.925];
    const b = [0.895, 0.9083, 0.915, 0.93, 0.9];
    const c = pairedComparison(a, b);
    expect(Math.abs(c.tTest.t - 3.9431613292010046)).toBeLessThan(1e-9);
    expect(Math.abs(c.tTest.p - 0.016914813345603116)).toBeLessThan(1e-10);
    expect(Math.abs(c.difference.low - 0.006710636910652244)).toBeLessThan(1e-10);
    expect(Math.abs(c.difference.high - 0.03864936308934773)).toBeLessThan(1e-10);
    expect(c.signTest).toEqual({ wins: 5, losses: 0, ties: 0, p: 0.0625 });
    // Ties are dropped; scipy.stats.binomtest(k, n) for the rest.
    expect(pairedComparison([1, 1, 1, 1, 0, 2], [0, 0, 0, 0, 1, 2]).signTest).toEqual({ wins: 4, losses: 1, ties: 1, p: 0.375 });
    expect(pairedComparison([0, 1, 0, 0, 0, 0, 0, 0], [1, 0, 1, 1, 1, 1, 1, 1]).signTest.p).toBeCloseTo(0.0703125, 14);
    const twenty = Array.from({ length: 20 }, (_, i) => (i < 7 ? 1 : -1));
    expect(pairedComparison(twenty, new Array(20).fill(0)).signTest.p).toBeCloseTo(0.26317596435546875, 14);
  });

  it('swapping the two sides negates the difference and keeps both p-values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 3, maxLength: 12 }), (pairs) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        const ab = pairedComparison(a, b);
        const ba = pairedComparison(b, a);
        expect(ba.difference.mean).toBeCloseTo(-ab.difference.mean, 12);
        if (Number.isFinite(ab.tTest.p)) expect(ba.tTest.p).toBeCloseTo(ab.tTest.p, 12);
        expect(ba.signTest.p).toBe(ab.signTest.p);
        expect(ab.signTest.p).toBeLessThanOrEqual(1);
      }),
    );
  });
});

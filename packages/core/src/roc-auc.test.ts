import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DegenerateInputError, NotANumberError, rocAuc, ShapeMismatchError } from './index';

/** P(same ranks ahead of different) + ½ P(tie), over every same × different pair: O(P·N). */
function bruteForceAuc(d: number[], same: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  d.forEach((a, i) => {
    if (!same[i]) return;
    d.forEach((b, j) => {
      if (same[j]) return;
      pairs++;
      wins += a < b ? 1 : a === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/** The trapezoid rule over the ROC points of every distinct threshold, written out directly. */
function trapezoidAuc(d: number[], same: boolean[]): number {
  const thresholds = [...new Set(d)].sort((a, b) => a - b);
  const P = same.filter(Boolean).length;
  const N = same.length - P;
  const points: Array<[number, number]> = [[0, 0]];
  for (const t of thresholds) {
    let tp = 0;
    let fp = 0;
    d.forEach((v, i) => {
      if (v <= t) {
        if (same[i]) tp++;
        else fp++;
      }
    });
    points.push([fp / N, tp / P]);
  }
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}

const labelled = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 12 }).map((v) => v / 4), fc.boolean()), { minLength: 2, maxLength: 60 })
  .filter((xs) => xs.some(([, s]) => s) && xs.some(([, s]) => !s));

describe('rocAuc', () => {
  it('counts a tie as half a win', () => {
    expect(rocAuc([0.2, 0.9, 0.9, 1.5], [true, true, false, false])).toBe(0.875);
    expect(rocAuc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
    expect(rocAuc([0, 1], [true, false])).toBe(1);
    expect(rocAuc([0, 1], [false, true])).toBe(0);
  });

  it('equals the pair count and the trapezoid over distinct thresholds (many ties)', () => {
    fc.assert(
      fc.property(labelled, (xs) => {
        const d = xs.map(([v]) => v);
        const s = xs.map(([, b]) => b);
        const auc = rocAuc(d, s);
        expect(auc).toBeCloseTo(bruteForceAuc(d, s), 12);
        expect(auc).toBeCloseTo(trapezoidAuc(d, s), 12);
      }),
    );
  });

  it('reads similarities the other way round, and ignores the order of the pairs', () => {
    fc.assert(
      fc.property(labelled, fc.integer(), (xs, seed) => {
        const d = xs.map(([v]) => v);
        const s = xs.map(([, b]) => b);
        expect(rocAuc(d.map((v) => -v), s, { kind: 'similarity' })).toBe(rocAuc(d, s));
        const perm = xs.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 31) - ((b * 7919 + seed) % 31));
        expect(rocAuc(perm.map((i) => d[i]!), perm.map((i) => s[i]!))).toBeCloseTo(rocAuc(d, s), 14);
      }),
    );
  });

  it('refuses one class only, NaN and length mismatches with typed errors', () => {
    expect(() => rocAuc([0.1, 0.2], [true, true])).toThrow(DegenerateInputError);
    expect(() => rocAuc([0.1, Number.NaN], [true, false])).toThrow(NotANumberError);
    expect(() => rocAuc([0.1, Number.NaN], [true, false])).toThrow(/values\[1\] is NaN/);
    expect(() => rocAuc([0.1], [true, false])).toThrow(ShapeMismatchError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EmptyInputError,
  evaluateVerification,
  InvalidArgumentError,
  kFoldRanges,
  NotANumberError,
  ShapeMismatchError,
} from './index';

/** calculate_roc written out the slow way: one pass over the pairs per fold and threshold. */
function naiveRoc(d: number[], same: boolean[], k: number, thresholds: number[]) {
  const n = d.length;
  const sizes = Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
  const folds: Array<{ index: number; accuracy: number }> = [];
  const tprs: number[][] = [];
  let start = 0;
  for (const size of sizes) {
    const end = start + size;
    const score = (t: number, test: boolean) => {
      let tp = 0;
      let fp = 0;
      let tn = 0;
      let fn = 0;
      for (let i = 0; i < n; i++) {
        if ((i >= start && i < end) !== test) continue;
        const p = d[i]! < t;
        if (p && same[i]) tp++;
        else if (p) fp++;
        else if (same[i]) fn++;
        else tn++;
      }
      return { acc: (tp + tn) / (tp + fp + tn + fn), tpr: tp + fn === 0 ? 0 : tp / (tp + fn) };
    };
    let best = 0;
    thresholds.forEach((t, j) => {
      if (score(t, false).acc > score(thresholds[best]!, false).acc) best = j;
    });
    folds.push({ index: best, accuracy: score(thresholds[best]!, true).acc });
    tprs.push(thresholds.map((t) => score(t, true).tpr));
    start = end;
  }
  return { folds, tprs };
}

/** Pairs with dyadic distances (k/16), so that shifting and scaling them below is exact. */
const pairs = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 64 }).map((v) => v / 16), fc.boolean()), { minLength: 2, maxLength: 80 })
  .chain((xs) => fc.tuple(fc.constant(xs), fc.integer({ min: 2, max: Math.min(xs.length, 12) })));
const grid = Array.from({ length: 70 }, (_, i) => i / 16);

describe('evaluateVerification laws', () => {
  it('matches the straightforward calculate_roc for any fold count', () => {
    fc.assert(
      fc.property(pairs, ([xs, k]) => {
        const d = xs.map(([v]) => v);
        const s = xs.map(([, b]) => b);
        const r = evaluateVerification(d, s, { folds: k, thresholds: grid });
        const ref = naiveRoc(d, s, k, grid);
        expect(r.folds.map((f) => [f.thresholdIndex, f.accuracy])).toEqual(ref.folds.map((f) => [f.index, f.accuracy]));
        grid.forEach((_, j) => {
          const mean = ref.tprs.reduce((acc, row) => acc + row[j]!, 0) / k;
          expect(r.tpr[j]).toBeCloseTo(mean, 14);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('gives accuracies, TPR and FPR in [0, 1]', () => {
    fc.assert(
      fc.property(pairs, ([xs, k]) => {
        const r = evaluateVerification(xs.map(([v]) => v), xs.map(([, b]) => b), { folds: k, thresholds: grid });
        for (const v of [r.accuracy.mean, ...r.folds.map((f) => f.accuracy), ...r.tpr, ...r.fpr]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(r.accuracy.std).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('is unchanged when distances and thresholds move by the same increasing map', () => {
    fc.assert(
      fc.property(pairs, fc.integer({ min: -8, max: 8 }), fc.integer({ min: 0, max: 4 }), ([xs, k], shift, power) => {
        const d = xs.map(([v]) => v);
        const s = xs.map(([, b]) => b);
        const map = (v: number) => v * 2 ** power + shift; // exact on these dyadic values
        const a = evaluateVerification(d, s, { folds: k, thresholds: grid, farThresholds: grid });
        const b = evaluateVerification(d.map(map), s, { folds: k, thresholds: grid.map(map), farThresholds: grid.map(map) });
        expect(b.folds.map((f) => [f.thresholdIndex, f.accuracy])).toEqual(a.folds.map((f) => [f.thresholdIndex, f.accuracy]));
        expect(b.tpr).toEqual(a.tpr);
        expect(b.fpr).toEqual(a.fpr);
        // TAR@FAR falls back to the literal threshold 0 when a training fold never reaches the
        // FAR, which a shift moves but a power-of-two scale does not; interpolation scales exactly.
        expect(a.tarAtFar).not.toBeNull();
        if (shift === 0) {
          expect(b.tarAtFar!.folds.map((f) => f.threshold)).toEqual(a.tarAtFar!.folds.map((f) => f.threshold * 2 ** power));
          expect(b.tarAtFar!.tar).toEqual(a.tarAtFar!.tar);
        }
      }),
    );
  });

  it('reaches accuracy 1 when every same pair sits below a grid threshold and every different pair above', () => {
    // Every training set must hold a same pair, or its best threshold is 0 (nothing accepted).
    const labels = fc
      .array(fc.boolean(), { minLength: 20, maxLength: 200 })
      .filter((s) => s.filter(Boolean).length > Math.ceil(s.length / 10));
    fc.assert(
      fc.property(labels, (same) => {
        // Same pairs share one distance: the first best threshold lies just above the largest
        // training same distance, so a larger held-out one would be misjudged, correctly.
        const d = same.map((s, i) => (s ? 0.5 : 2.1 + (i % 11) * 0.1));
        const r = evaluateVerification(d, same);
        expect(r.accuracy.mean).toBe(1);
        expect(r.accuracy.std).toBe(0);
        if (same.some(Boolean) && !same.every(Boolean)) expect(r.auc).toBe(1);
      }),
      { numRuns: 30 },
    );
  });

  it('makes scikit-learn KFold(shuffle=False) folds', () => {
    expect(kFoldRanges(11, 3)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 11 },
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 500 }), fc.integer({ min: 2, max: 50 }), (n, k) => {
        fc.pre(k <= n);
        const ranges = kFoldRanges(n, k);
        expect(ranges[0]!.start).toBe(0);
        expect(ranges.at(-1)!.end).toBe(n);
        ranges.forEach((r, i) => {
          expect(r.end - r.start).toBe(Math.floor(n / k) + (i < n % k ? 1 : 0));
          if (i > 0) expect(r.start).toBe(ranges[i - 1]!.end);
        });
      }),
    );
  });
});

describe('evaluateVerification input checks', () => {
  const d = [0.1, 0.5, 1.2, 1.9];
  const s = [true, true, false, false];
  it('refuses bad input with typed errors that name the value', () => {
    expect(() => evaluateVerification(d, s.slice(1), { folds: 2 })).toThrow(ShapeMismatchError);
    expect(() => evaluateVerification(d, s.slice(1), { folds: 2 })).toThrow(/4 distances but 3 isSame/);
    expect(() => evaluateVerification([0.1, Number.NaN, 1, 2], s, { folds: 2 })).toThrow(NotANumberError);
    expect(() => evaluateVerification([0.1, Number.NaN, 1, 2], s, { folds: 2 })).toThrow(/distances\[1\] is NaN/);
    expect(() => evaluateVerification([], [])).toThrow(EmptyInputError);
    expect(() => evaluateVerification(d, s, { folds: 1 })).toThrow(InvalidArgumentError);
    expect(() => evaluateVerification(d, s, { folds: 5 })).toThrow(/folds must be an integer in \[2, 4\].*got 5/);
    expect(() => evaluateVerification(d, s)).toThrow(/got 10/);
    expect(() => evaluateVerification(d, [1, 0, 2, 0], { folds: 2 })).toThrow(/isSame\[2\] is 2/);
    expect(() => evaluateVerification(d, s, { folds: 2, thresholds: [0, Number.NaN] })).toThrow(/thresholds\[1\] is NaN/);
    try {
      evaluateVerification([], []);
    } catch (e) {
      expect((e as EmptyInputError).code).toBe('ERR_EMPTY_INPUT');
    }
  });

  it('reports no TAR@FAR where the FAR grid cannot reach the target, and tarAtFar refuses', () => {
    const negative = [-3, -2, -1, -0.5];
    expect(evaluateVerification(negative, s, { folds: 2 }).tarAtFar).toBeNull();
    expect(evaluateVerification(negative, s, { folds: 2 }).accuracy.mean).toBe(0.5);
  });

  it('accepts 0/1 flags like booleans', () => {
    expect(evaluateVerification(d, [1, 1, 0, 0], { folds: 2 })).toEqual(evaluateVerification(d, s, { folds: 2 }));
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DegenerateInputError, mapAtR, NotANumberError, precisionAtOne, retrievalMetrics, ShapeMismatchError } from './index';

const deg = (d: number) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)];

/** Rank every other sample fully (similarity, then index) and apply the definitions. */
function bruteForce(x: number[][], y: number[]) {
  // Normalised with the same float64 operations as the library, so that near-ties break alike.
  const unit = x.map((v) => {
    const n = Math.sqrt(v.reduce((acc, a) => acc + a * a, 0));
    return v.map((a) => a / n);
  });
  let hits = 0;
  let ap = 0;
  let queries = 0;
  unit.forEach((q, i) => {
    const r = y.filter((l) => l === y[i]).length - 1;
    if (r === 0) return;
    const ranked = unit
      .map((v, j) => ({ j, s: v.reduce((acc, a, k) => acc + a * q[k]!, 0) }))
      .filter((e) => e.j !== i)
      .sort((a, b) => b.s - a.s || a.j - b.j);
    hits += y[ranked[0]!.j] === y[i] ? 1 : 0;
    let correct = 0;
    let sum = 0;
    for (let k = 0; k < r; k++) {
      if (y[ranked[k]!.j] === y[i]) sum += ++correct / (k + 1);
    }
    ap += sum / r;
    queries++;
  });
  return { precisionAtOne: hits / queries, mapAtR: ap / queries, queries };
}

describe('retrieval metrics on number rows', () => {
  it('scores hand-made cases', async () => {
    // Class 0 at 0°, 10°, 20°; class 1 at 15°, 90°. Lone label 2 at 200° is not a query.
    const x = [deg(0), deg(10), deg(20), deg(15), deg(90), deg(200)];
    const y = [0, 0, 0, 1, 1, 2];
    const m = await retrievalMetrics(x, y);
    expect(m.queries).toBe(5);
    // Nearest others: 0→10°(0 ✓), 10°→15°(1 ✗), 20°→15°(1 ✗), 15°→10° or 20° (0 ✗), 90°→20° (0 ✗).
    expect(m.precisionAtOne).toBe(1 / 5);
    // R = 2 for class 0, 1 for class 1.
    // q 0°: 10° ✓, 15° ✗ → (1/1)/2 = 0.5. q 10°: 15° ✗, 0°/20° tie → 0° (lower index) ✓ → (1/2)/2 = 0.25.
    // q 20°: 15° ✗, 10° ✓ → 0.25. q 15°: 10° ✗ → 0. q 90°: 20° ✗ → 0.
    expect(m.mapAtR).toBeCloseTo((0.5 + 0.25 + 0.25) / 5, 15);
    expect(await precisionAtOne(x, y)).toBe(m.precisionAtOne);
    expect(await mapAtR(x, y)).toBe(m.mapAtR);
  });

  it('is 1 for well separated classes', async () => {
    const x = [deg(0), deg(1), deg(2), deg(120), deg(121), deg(240), deg(242)];
    expect(await retrievalMetrics(x, [5, 5, 5, 7, 7, 9, 9])).toEqual({ precisionAtOne: 1, mapAtR: 1, queries: 7 });
  });

  it('agrees with full ranking on random data, ties included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 3 })), { minLength: 3, maxLength: 40 }),
        async (pairs) => {
          // Angles on a 30° grid make many equal similarities: the tie rule is exercised.
          const x = pairs.map(([a]) => deg(a * 30));
          const y = pairs.map(([, l]) => l);
          fc.pre(y.some((l, i) => y.indexOf(l) !== i));
          const got = await retrievalMetrics(x, y);
          const want = bruteForce(x, y);
          expect(got.queries).toBe(want.queries);
          expect(got.precisionAtOne).toBeCloseTo(want.precisionAtOne, 12);
          expect(got.mapAtR).toBeCloseTo(want.mapAtR, 12);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('refuses mismatched labels, NaN and sets without any pair of one label', async () => {
    await expect(retrievalMetrics([deg(0), deg(1)], [0])).rejects.toThrow(ShapeMismatchError);
    await expect(retrievalMetrics([deg(0), [Number.NaN, 0]], [0, 0])).rejects.toThrow(NotANumberError);
    await expect(retrievalMetrics([deg(0), deg(1)], [0, 1])).rejects.toThrow(DegenerateInputError);
  });
});

describeEachBackend('retrieval metrics on tensors', () => {
  it('agree with the float64 path and leak nothing', async () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const y = Array.from({ length: 700 }, (_, i) => i % 13);
    const centres = Array.from({ length: 13 }, () => Array.from({ length: 8 }, rand));
    const x = y.map((l) => centres[l]!.map((v) => v + 0.9 * rand()));
    const tx = tf.tensor2d(x);
    const ty = tf.tensor1d(y, 'int32');
    const got = await expectNoLeak(() => retrievalMetrics(tx, ty));
    const want = await retrievalMetrics(x, y);
    expect(got.queries).toBe(700);
    expect(want.precisionAtOne).toBeGreaterThan(0.3);
    expect(want.precisionAtOne).toBeLessThan(1);
    // float32 similarities may swap near-ties; a swap moves a metric by at most ~1/700.
    expect(Math.abs(got.precisionAtOne - want.precisionAtOne)).toBeLessThan(3 / 700);
    expect(Math.abs(got.mapAtR - want.mapAtR)).toBeLessThan(3 / 700);
    tf.dispose([tx, ty]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmptyInputError, flipSumEmbeddings, NotANumberError, ShapeMismatchError, verificationDistances } from './index';

const rows = (n: number, d: number) =>
  fc.array(fc.array(fc.integer({ min: -500, max: 500 }).map((v) => v / 100), { minLength: d, maxLength: d }).filter((r) => r.some((v) => v !== 0)), { minLength: n, maxLength: n });

describe('verificationDistances and flipSumEmbeddings on number rows', () => {
  it('gives squared L2 distances between unit vectors, in [0, 4]', () => {
    expect(Array.from(verificationDistances([[1, 0], [3, 4], [2, 0]], [[0, 2], [3, 4], [-1, 0]]))).toEqual([2, 0, 4]);
    fc.assert(
      fc.property(rows(6, 5), rows(6, 5), (a, b) => {
        const d = verificationDistances(a, b);
        d.forEach((v, i) => {
          const na = Math.hypot(...a[i]!);
          const nb = Math.hypot(...b[i]!);
          const cos = a[i]!.reduce((s, x, j) => s + x * b[i]![j]!, 0) / (na * nb);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(4 + 1e-12);
          expect(v).toBeCloseTo(2 - 2 * cos, 10);
        });
      }),
    );
  });

  it('sums an embedding with its mirror, then normalises', () => {
    expect(flipSumEmbeddings([[3, 0]], [[0, 4]])).toEqual([[0.6, 0.8]]);
    expect(flipSumEmbeddings([[1, -1]], [[-1, 1]])).toEqual([[0, 0]]);
  });

  it('refuses mismatched, empty and NaN input', () => {
    expect(() => verificationDistances([[1, 0]], [[1, 0], [0, 1]])).toThrow(ShapeMismatchError);
    expect(() => verificationDistances([[1, 0]], [[1, 0, 0]])).toThrow(/a is 1×2, b is 1×3/);
    expect(() => verificationDistances([], [])).toThrow(EmptyInputError);
    expect(() => flipSumEmbeddings([[1, Number.NaN]], [[1, 0]])).toThrow(NotANumberError);
    expect(() => flipSumEmbeddings([[1, 0], [1]], [[1, 0], [1, 0]])).toThrow(/e\[1\] has 1 values/);
  });
});

describeEachBackend('verificationDistances and flipSumEmbeddings on tensors', () => {
  it('agree with the float64 path and leak nothing', async () => {
    const a = [[0.3, -1.2, 2.0, 0.1], [1, 1, 1, 1], [0, 0, 3, -4]];
    const b = [[0.2, -1.0, 2.5, 0.0], [-1, 2, 0.5, 1], [0, 0, 3, -4]];
    const ta = tf.tensor2d(a);
    const tb = tf.tensor2d(b);
    const d = await expectNoLeak(() => verificationDistances(ta, tb));
    expect(d.shape).toEqual([3]);
    const expected = verificationDistances(a, b);
    Array.from(await d.data()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    const f = await expectNoLeak(() => flipSumEmbeddings(ta, tb));
    const fExpected = flipSumEmbeddings(a, b).flat();
    Array.from(await f.data()).forEach((v, i) => expect(v).toBeCloseTo(fExpected[i]!, 6));
    expect(() => verificationDistances(ta, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(ShapeMismatchError);
    tf.dispose([ta, tb, d, f]);
  });
});

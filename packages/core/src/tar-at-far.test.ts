import { readFileSync } from 'node:fs';
import { readGolden } from '@arcface/testing';
import { describe, expect, it } from 'vitest';
import { evaluateVerification, InvalidArgumentError, tarAtFar } from './index';

interface Reference {
  case: string;
  far_target: number;
  tar_mean: number;
  tar_std: number;
  far_mean: number;
  folds: Array<{ threshold: number; tar: number; far: number; start: number; end: number }>;
}
// Made by packages/testing/generators/tar_at_far.py (numpy, SciPy <= 1.8's slinear spline), from the golden distances.
const reference = JSON.parse(
  readFileSync(new URL('../test/fixtures/tar-at-far.json', import.meta.url), 'utf8'),
) as { cases: Reference[] };
const golden = readGolden<{ cases: Array<{ name: string; dist: number[]; issame: boolean[] }> }>('verification.json');

describe('tarAtFar against insightface calculate_val (numpy + scipy reference)', () => {
  for (const ref of reference.cases) {
    it(`${ref.case} at FAR ${ref.far_target}`, () => {
      const c = golden.cases.find((g) => g.name === ref.case)!;
      const r = tarAtFar(c.dist, c.issame, ref.far_target);
      r.folds.forEach((fold, i) => {
        const g = ref.folds[i]!;
        expect([fold.start, fold.end]).toEqual([g.start, g.end]);
        expect(Math.abs(fold.threshold - g.threshold), `fold ${i} threshold`).toBeLessThanOrEqual(1e-12);
        expect(fold.tar).toBe(g.tar);
        expect(fold.far).toBe(g.far);
      });
      expect(Math.abs(r.tar.mean - ref.tar_mean)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(r.tar.std - ref.tar_std)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(r.far - ref.far_mean)).toBeLessThanOrEqual(1e-12);
    });
  }

  it('is what evaluateVerification reports at its default FAR of 1e-3', () => {
    const c = golden.cases[1]!;
    expect(evaluateVerification(c.dist, c.issame).tarAtFar).toEqual(tarAtFar(c.dist, c.issame, 1e-3));
  });

  it('refuses a FAR outside [0, 1] and a grid too short to interpolate', () => {
    expect(() => tarAtFar([0.1, 0.2], [true, false], 1.5, { folds: 2 })).toThrow(InvalidArgumentError);
    expect(() => tarAtFar([0.1, 0.2], [true, false], Number.NaN, { folds: 2 })).toThrow(/far must be in \[0, 1\], got NaN/);
    expect(() => tarAtFar([0.1, 0.2], [true, false], 0.1, { folds: 2, thresholds: [1] })).toThrow(/at least 2 thresholds/);
    expect(() => tarAtFar([0.1, 0.2], [true, false], 0.0, { folds: 2, thresholds: [1, 2] })).toThrow(/far 0 is below the smallest training FAR/);
  });
});

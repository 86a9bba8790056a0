import { readGolden } from '@arcface/testing';
import { describe, expect, it } from 'vitest';
import { accuracyThresholds, evaluateVerification } from './index';

interface GoldenFold {
  train_best_threshold: number;
  best_threshold_index: number;
  train_accuracy: number;
  test_accuracy: number;
  test_start: number;
  test_end: number;
}
interface GoldenCase {
  name: string;
  N: number;
  dist: number[];
  issame: boolean[];
  folds: GoldenFold[];
  accuracy_mean: number;
  accuracy_std: number;
  tpr_mean: number[];
  fpr_mean: number[];
}
const golden = readGolden<{ thresholds: number[]; cases: GoldenCase[] }>('verification.json');

describe('evaluateVerification against insightface (golden verification.json)', () => {
  it('builds numpy.arange(0, 4, 0.01) bit for bit', () => {
    const t = accuracyThresholds();
    expect(t.length).toBe(golden.thresholds.length);
    // Object.is: exact float64 equality, element by element.
    for (let i = 0; i < t.length; i++) expect(Object.is(t[i], golden.thresholds[i]), `threshold ${i}`).toBe(true);
    // The grid i/100 is not the same grid: the protocol depends on the difference.
    const differing = golden.thresholds.filter((v, i) => v !== i / 100).length;
    expect(differing).toBe(51);
  });

  for (const c of golden.cases) {
    it(`reproduces case ${c.name} (N = ${c.N})`, () => {
      const r = evaluateVerification(c.dist, c.issame);
      expect(r.folds).toHaveLength(c.folds.length);
      r.folds.forEach((fold, i) => {
        const g = c.folds[i]!;
        expect([fold.start, fold.end]).toEqual([g.test_start, g.test_end]);
        expect(fold.thresholdIndex).toBe(g.best_threshold_index);
        expect(fold.threshold).toBe(g.train_best_threshold);
        expect(fold.trainAccuracy).toBe(g.train_accuracy);
        expect(fold.accuracy).toBe(g.test_accuracy);
      });
      expect(Math.abs(r.accuracy.mean - c.accuracy_mean)).toBeLessThanOrEqual(1e-12);
      // Summed in numpy's pairwise order, the mean is in fact the same double.
      expect(r.accuracy.mean).toBe(c.accuracy_mean);
      expect(Math.abs(r.accuracy.std - c.accuracy_std)).toBeLessThanOrEqual(1e-12);
      expect(r.tpr).toHaveLength(400);
      for (let j = 0; j < 400; j++) {
        expect(Math.abs(r.tpr[j]! - c.tpr_mean[j]!), `tpr ${j}`).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(r.fpr[j]! - c.fpr_mean[j]!), `fpr ${j}`).toBeLessThanOrEqual(1e-12);
      }
    });
  }
});

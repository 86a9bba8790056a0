import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleClasses } from './partial-fc';

describe('Partial FC class sampling', () => {
  it('keeps every positive, draws distinct negatives up to the target, ascending, seeded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.nat(),
        (classes, raw, rate, seed) => {
          const labels = Int32Array.from(raw, (v) => v % classes);
          const target = Math.max(1, Math.round(rate * classes));
          const rows = sampleClasses(labels, classes, target, seed);
          const positives = new Set(labels);
          expect(rows.length).toBe(Math.min(classes, Math.max(target, positives.size)));
          for (const c of positives) expect(rows).toContain(c);
          for (let i = 1; i < rows.length; i++) expect(rows[i]!).toBeGreaterThan(rows[i - 1]!);
          expect(Array.from(sampleClasses(labels, classes, target, seed))).toEqual(Array.from(rows));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('negatives are drawn uniformly: each negative class is picked about equally often', () => {
    const counts = new Array<number>(20).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      for (const c of sampleClasses(Int32Array.of(0), 20, 5, seed)) counts[c]!++;
    }
    expect(counts[0]).toBe(2000);
    // 4 of 19 negatives per draw: 2000·4/19 ≈ 421 each; binomial sd ≈ 18.
    for (const n of counts.slice(1)) expect(Math.abs(n - 421)).toBeLessThan(90);
  });
});

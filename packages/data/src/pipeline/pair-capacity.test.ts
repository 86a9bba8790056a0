import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DegenerateInputError } from '@arcface/core';
import { pairCapacity } from './pair-capacity';
import { makeVerificationPairs } from './verification-pairs';

describe('what pairs an evaluation set can form', () => {
  it('counts same- and different-identity pairs as brute force over all pairs does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 40 }), (labels) => {
        let same = 0;
        let different = 0;
        for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) labels[i] === labels[j] ? same++ : different++;
        const capacity = pairCapacity(labels);
        expect([capacity.samePairs, capacity.differentPairs]).toEqual([same, different]);
        const counts = new Map<number, number>();
        for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
        expect(capacity.singletons).toEqual([...counts].filter(([, n]) => n === 1).map(([c]) => c).sort((a, b) => a - b));
        expect(capacity.identities).toBe(counts.size);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('makeVerificationPairs names the identities that cannot form a positive pair and how many pairs exist', () => {
    // Classes 0 and 1 have two images each (2 same pairs); 2, 3 and 4 have one.
    const labels = [0, 0, 1, 1, 2, 3, 4];
    const names = ['ann', 'bo', 'cy', 'di', 'ed'];
    const error = (() => {
      try {
        makeVerificationPairs(labels, { folds: 2, pairsPerFold: 4, identityName: (c) => names[c] as string });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DegenerateInputError);
    expect(error?.message).toMatch(/asked for 4 same-identity pairs, but the set can form only 2 \(and 19 different-identity pairs\)/);
    expect(error?.message).toMatch(/3 of 5 identities have a single image and form no same-identity pair: cy, di, ed/);
    expect(() => makeVerificationPairs([0, 1, 2], { pairsPerFold: 2, folds: 1 })).toThrow(/no identity has two images.*3 of 3 identities have a single image/);
    expect(() => makeVerificationPairs([0, 0, 0], { pairsPerFold: 2, folds: 1 })).toThrow(/only one identity/);
    expect(makeVerificationPairs(labels, { folds: 1, pairsPerFold: 4 }).isSame).toEqual([true, true, false, false]);
  });
});

import { DegenerateInputError, InvalidArgumentError } from '@arcface/core';
import { describeSingletons, pairCapacity } from './pair-capacity';
import { createRng } from '../random/rng';

export interface VerificationPairs {
  /** Sample indices of each pair's two images. */
  first: number[];
  second: number[];
  isSame: boolean[];
  /** Fold of each pair; pairs are ordered fold by fold, as insightface's contiguous K folds expect. */
  fold: number[];
  folds: number;
}

/**
 * Draws balanced verification pairs from any labelled set, laid out like LFW's `pairs.txt`:
 * `folds` contiguous blocks, each with `pairsPerFold / 2` same-identity pairs followed by as many
 * different-identity pairs, no pair repeated. Feed the result's order straight to a contiguous
 * K-fold evaluation (insightface's `verification.py`).
 *
 * @example
 * const pairs = makeVerificationPairs(labels, { folds: 10, pairsPerFold: 60, seed: 3 });
 */
export function makeVerificationPairs(
  labels: ArrayLike<number>,
  options: { folds?: number; pairsPerFold: number; seed?: number | string; identityName?: (classId: number) => string },
): VerificationPairs {
  const folds = options.folds ?? 10;
  const perFold = options.pairsPerFold;
  if (!Number.isInteger(folds) || folds < 1) throw new InvalidArgumentError(`folds must be a positive integer, got ${folds}`);
  if (!Number.isInteger(perFold) || perFold < 2 || perFold % 2 !== 0) {
    throw new InvalidArgumentError(`pairsPerFold must be a positive even integer, got ${perFold}`);
  }
  const rng = createRng(options.seed ?? 0);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    let list = byClass.get(c);
    if (list === undefined) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const withPairs = classes.filter((c) => (byClass.get(c) as number[]).length >= 2);
  const half = perFold / 2;
  const total = folds * half;
  const capacity = pairCapacity(labels);
  const singles = describeSingletons(capacity, options.identityName);
  if (withPairs.length === 0) {
    throw new DegenerateInputError(`no identity has two images, so no same-identity pair exists (${singles}); add a second image of some identities`);
  }
  if (classes.length < 2) throw new DegenerateInputError('only one identity: no different-identity pair exists; evaluate on images of at least two people');
  const samePossible = capacity.samePairs;
  if (samePossible < total) {
    throw new DegenerateInputError(
      `asked for ${total} same-identity pairs, but the set can form only ${samePossible} (and ${capacity.differentPairs} different-identity pairs); ` +
        `${singles}; ask for fewer pairs (folds × pairsPerFold / 2 ≤ ${samePossible})`,
    );
  }
  const seen = new Set<string>();
  const key = (a: number, b: number): string => (a < b ? `${a},${b}` : `${b},${a}`);
  // Rejection sampling; give up after many misses rather than loop forever on a tight set.
  const draw = (pick: () => [number, number]): [number, number] => {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const [a, b] = pick();
      if (a !== b && !seen.has(key(a, b))) {
        seen.add(key(a, b));
        return [a, b];
      }
    }
    throw new InvalidArgumentError(`could not draw ${total} distinct pairs of each kind from ${labels.length} samples`);
  };
  const samePair = (): [number, number] => {
    const list = byClass.get(withPairs[rng.int(withPairs.length)] as number) as number[];
    return [list[rng.int(list.length)] as number, list[rng.int(list.length)] as number];
  };
  const differentPair = (): [number, number] => {
    const ca = rng.int(classes.length);
    let cb = rng.int(classes.length - 1);
    if (cb >= ca) cb++;
    const la = byClass.get(classes[ca] as number) as number[];
    const lb = byClass.get(classes[cb] as number) as number[];
    return [la[rng.int(la.length)] as number, lb[rng.int(lb.length)] as number];
  };
  const out: VerificationPairs = { first: [], second: [], isSame: [], fold: [], folds };
  for (let f = 0; f < folds; f++) {
    for (const same of [true, false]) {
      for (let k = 0; k < half; k++) {
        const [a, b] = draw(same ? samePair : differentPair);
        out.first.push(a);
        out.second.push(b);
        out.isSame.push(same);
        out.fold.push(f);
      }
    }
  }
  return out;
}

import { DegenerateInputError } from './errors';
import { toDistances, toFlags } from './validate';

/** Options of {@link rocAuc}. */
export interface RocAucOptions {
  /**
   * `'distance'` (default): a smaller value means "more likely the same identity", as for the
   * squared L2 distances of {@link evaluateVerification}. `'similarity'`: a larger value does
   * (cosine similarities, scores).
   */
  kind?: 'distance' | 'similarity';
}

/**
 * Area under the ROC curve, exactly: the trapezoid rule over every distinct threshold, which
 * equals the probability that a random same pair ranks ahead of a random different pair,
 * ties counted one half (the Mann–Whitney U statistic over P·N). Tied values form a single
 * step of the curve, so the order of tied pairs in the input cannot change the result
 * (scikit-learn's `roc_auc_score` with `drop_intermediate` makes the same area).
 *
 * @example
 * rocAuc([0.2, 0.9, 0.9, 1.5], [true, true, false, false]) // 0.875
 */
export function rocAuc(values: ArrayLike<number>, isSame: ArrayLike<boolean | number>, options: RocAucOptions = {}): number {
  const fn = 'rocAuc';
  const v = toDistances(values, fn, 'values');
  const same = toFlags(isSame, v.length, fn);
  const sign = (options.kind ?? 'distance') === 'distance' ? 1 : -1;
  const order = Array.from(v.keys()).sort((a, b) => sign * ((v[a] as number) - (v[b] as number)) || 0);
  let positives = 0;
  for (const s of same) positives += s;
  const negatives = v.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new DegenerateInputError(`${fn}: needs both same and different pairs, got ${positives} same and ${negatives} different`);
  }
  // Walk from "most likely same" to "least likely same", one group of tied values at a time.
  // A same pair wins against every different pair after its group and half-wins against the
  // different pairs tied with it. Counts stay integers (or halves) until the last division.
  let wins = 0;
  let negativesSeen = 0;
  let i = 0;
  while (i < order.length) {
    const value = v[order[i] as number] as number;
    let groupSame = 0;
    let groupDiff = 0;
    let j = i;
    while (j < order.length && v[order[j] as number] === value) {
      if (same[order[j] as number] === 1) groupSame++;
      else groupDiff++;
      j++;
    }
    wins += groupSame * (negatives - negativesSeen - groupDiff) + (groupSame * groupDiff) / 2;
    negativesSeen += groupDiff;
    i = j;
  }
  return wins / (positives * negatives);
}

import type { FoldRange } from './k-fold';

// Counting "distance < threshold" among same and different pairs, per test fold and for the
// training set (everything but the fold), by binary search in sorted copies: O(log n) per
// threshold instead of a pass over every pair. Counts are integers, so every ratio built from
// them is the same float64 division numpy performs. Not exported from the package.

/** Number of elements of the ascending array `sorted` that are strictly below `t`. */
export function countBelow(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortedOf(distances: Float64Array, same: Uint8Array, start: number, end: number, flag: number): Float64Array {
  let n = 0;
  for (let i = start; i < end; i++) if (same[i] === flag) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = start; i < end; i++) if (same[i] === flag) out[k++] = distances[i] as number;
  return out.sort();
}

/** Confusion counts of the rule "same when distance < threshold". */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export class FoldCounts {
  private readonly allSame: Float64Array;
  private readonly allDiff: Float64Array;
  private readonly foldSame: Float64Array[];
  private readonly foldDiff: Float64Array[];

  constructor(distances: Float64Array, same: Uint8Array, readonly ranges: FoldRange[]) {
    this.allSame = sortedOf(distances, same, 0, distances.length, 1);
    this.allDiff = sortedOf(distances, same, 0, distances.length, 0);
    this.foldSame = ranges.map((r) => sortedOf(distances, same, r.start, r.end, 1));
    this.foldDiff = ranges.map((r) => sortedOf(distances, same, r.start, r.end, 0));
  }

  /** Counts on the held-out fold `f`. */
  test(f: number, threshold: number): Confusion {
    const same = this.foldSame[f] as Float64Array;
    const diff = this.foldDiff[f] as Float64Array;
    const tp = countBelow(same, threshold);
    const fp = countBelow(diff, threshold);
    return { tp, fp, tn: diff.length - fp, fn: same.length - tp };
  }

  /** Counts on every pair outside fold `f`. */
  train(f: number, threshold: number): Confusion {
    const test = this.test(f, threshold);
    const tp = countBelow(this.allSame, threshold) - test.tp;
    const fp = countBelow(this.allDiff, threshold) - test.fp;
    const nSame = this.allSame.length - (this.foldSame[f] as Float64Array).length;
    const nDiff = this.allDiff.length - (this.foldDiff[f] as Float64Array).length;
    return { tp, fp, tn: nDiff - fp, fn: nSame - tp };
  }
}

/** tp / (tp + fn), 0 when there are no same pairs (insightface's `calculate_accuracy`). */
export function truePositiveRate(c: Confusion): number {
  return c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
}

/** fp / (fp + tn), 0 when there are no different pairs. */
export function falsePositiveRate(c: Confusion): number {
  return c.fp + c.tn === 0 ? 0 : c.fp / (c.fp + c.tn);
}

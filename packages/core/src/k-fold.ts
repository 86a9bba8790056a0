import { checkFolds } from './validate';

/** A contiguous test fold: pairs `start` (inclusive) to `end` (exclusive). */
export interface FoldRange {
  start: number;
  end: number;
}

/**
 * Contiguous folds exactly as scikit-learn's `KFold(n_splits=k, shuffle=False)` makes them:
 * every fold has ⌊n/k⌋ pairs and the first n mod k folds one more. The training set of a fold
 * is everything outside its range.
 *
 * @example
 * kFoldRanges(11, 3) // [{start: 0, end: 4}, {start: 4, end: 8}, {start: 8, end: 11}]
 */
export function kFoldRanges(n: number, k: number): FoldRange[] {
  checkFolds(k, n, 'kFoldRanges');
  const base = Math.floor(n / k);
  const extra = n % k;
  const out: FoldRange[] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    out.push({ start, end });
    start = end;
  }
  return out;
}

// Float64 sums, means and standard deviations summed in numpy's order, so that a mean over
// ten folds rounds the way `np.mean` does. Not exported from the package.

/**
 * numpy's pairwise summation of a contiguous float64 vector (`pairwise_sum_DOUBLE`): below 8
 * elements a plain loop; up to 128 eight running partial sums combined as a tree; above that,
 * split in two at a multiple of 8.
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, n = values.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += values[start + i] as number;
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (values[start + i + j] as number);
    }
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += values[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(values, start, n2) + pairwiseSum(values, start + n2, n - n2);
}

/** `np.mean` of a float64 vector. */
export function numpyMean(values: ArrayLike<number>): number {
  return pairwiseSum(values) / values.length;
}

/** `np.std` with ddof 0: mean, squared deviations, their pairwise sum over n, square root. */
export function numpyStd(values: ArrayLike<number>): number {
  const mean = numpyMean(values);
  const squared = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - mean;
    squared[i] = d * d;
  }
  return Math.sqrt(pairwiseSum(squared) / values.length);
}

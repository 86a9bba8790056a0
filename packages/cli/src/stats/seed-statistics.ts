import { studentTCdf, studentTQuantile } from './student-t';

/** Mean of values over seeds with its two-sided t confidence interval. */
export interface MeanInterval {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN for one value. */
  readonly sd: number;
  /** Confidence level of [low, high], e.g. 0.95. */
  readonly level: number;
  readonly low: number;
  readonly high: number;
}

/** A paired comparison of two methods run on the same seeds: a − b per seed. */
export interface PairedComparison {
  readonly differences: readonly number[];
  /** Mean difference with its t interval. */
  readonly difference: MeanInterval;
  /** Paired t-test of mean difference 0: t statistic, degrees of freedom, two-sided p. */
  readonly tTest: { readonly t: number; readonly df: number; readonly p: number };
  /** Exact two-sided sign test: seeds where a won, lost or tied, and p (ties dropped). */
  readonly signTest: { readonly wins: number; readonly losses: number; readonly ties: number; readonly p: number };
}

/**
 * The mean of `values` and its two-sided Student-t interval at `level`: mean ± t_{(1+level)/2,
 * n−1} · sd / √n. With one value the interval is unknown (NaN bounds).
 *
 * @example
 * ```ts
 * meanInterval([0.91, 0.93, 0.95]); // { mean: 0.93, low: 0.880…, high: 0.979…, … }
 * ```
 */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, sd: Number.NaN, level, low: Number.NaN, high: Number.NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { n, mean, sd: Number.NaN, level, low: Number.NaN, high: Number.NaN };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, level, low: mean - half, high: mean + half };
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2), summed exactly in float64. */
function binomialHalfCdf(k: number, n: number): number {
  let term = 0.5 ** n;
  let sum = term;
  for (let i = 1; i <= k; i += 1) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/**
 * Paired comparison of `a` and `b` (same length, entry i from seed i): the mean difference
 * a − b with its t interval, the paired t-test and the exact sign test.
 *
 * @example
 * ```ts
 * const c = pairedComparison(arcface, normSoftmax);
 * c.difference.low > 0; // the interval lies above zero
 * ```
 */
export function pairedComparison(a: readonly number[], b: readonly number[], level = 0.95): PairedComparison {
  if (a.length !== b.length) throw new RangeError(`paired comparison needs equal lengths, got ${a.length} and ${b.length}`);
  const differences = a.map((v, i) => v - (b[i] as number));
  const difference = meanInterval(differences, level);
  const df = differences.length - 1;
  const t = difference.sd > 0 ? difference.mean / (difference.sd / Math.sqrt(differences.length)) : difference.mean === 0 ? 0 : Math.sign(difference.mean) * Infinity;
  const p = df >= 1 && !Number.isNaN(t) ? 2 * (1 - studentTCdf(Math.abs(t), df)) : Number.NaN;
  const wins = differences.filter((d) => d > 0).length;
  const losses = differences.filter((d) => d < 0).length;
  const ties = differences.length - wins - losses;
  const m = wins + losses;
  const signP = m === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(wins, losses), m));
  return { differences, difference, tTest: { t, df, p }, signTest: { wins, losses, ties, p: signP } };
}

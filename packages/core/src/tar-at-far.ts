import { valThresholds } from './arange';
import { InvalidArgumentError } from './errors';
import { kFoldRanges } from './k-fold';
import { numpyMean, numpyStd } from './numpy-reductions';
import { FoldCounts } from './pair-counts';
import { checkFolds, toDistances, toFlags } from './validate';

/** Options of {@link tarAtFar}. */
export interface TarAtFarOptions {
  /** Number of contiguous folds, as in {@link evaluateVerification}. Default 10. */
  folds?: number;
  /** Candidate thresholds; default `numpy.arange(0, 4, 0.001)`, insightface's grid. */
  thresholds?: ArrayLike<number>;
}

/** One fold of {@link tarAtFar}: the interpolated threshold and what it gives on the held-out pairs. */
export interface TarAtFarFold {
  threshold: number;
  /** True accept rate (insightface's VAL) on the held-out fold. */
  tar: number;
  /** False accept rate on the held-out fold. */
  far: number;
  start: number;
  end: number;
}

/** Result of {@link tarAtFar}. */
export interface TarAtFarResult {
  /** The requested false accept rate. */
  targetFar: number;
  /** Mean and standard deviation (ddof 0) of the per-fold TAR: insightface's `val`, `val_std`. */
  tar: { mean: number; std: number };
  /** Mean of the per-fold FAR actually reached on the held-out folds: insightface's `far`. */
  far: number;
  folds: TarAtFarFold[];
}

/**
 * Threshold at which the training pairs reach `far`, as insightface gets it from
 * `scipy.interpolate.interp1d(far_train, thresholds, kind='slinear')(far)`.
 *
 * The FAR values repeat (the FAR is a step function of the threshold). SciPy up to 1.8 builds a
 * degree-1 B-spline on the knots `[x0, x0, x1, …, x(n−1), x(n−1)]` and accepts the repeats;
 * SciPy ≥ 1.9 refuses them ("Expect x to not have duplicates"), so the published numbers come
 * from the older behaviour, reproduced here: sort by FAR (stable), take the last i ≤ n − 2 with
 * x[i] ≤ far, and return y[i]·(x[i+1] − far)/(x[i+1] − x[i]) + y[i+1]·(far − x[i])/(x[i+1] − x[i]),
 * or 0 when x[i] = x[i+1] (the spline's basis functions vanish on an empty knot span).
 */
function interpolateThreshold(farTrain: Float64Array, thresholds: Float64Array, far: number): number | undefined {
  const n = farTrain.length;
  const order = Array.from(farTrain.keys()).sort((a, b) => (farTrain[a] as number) - (farTrain[b] as number) || a - b);
  const x = order.map((k) => farTrain[k] as number);
  const y = order.map((k) => thresholds[k] as number);
  // Below the interpolation range SciPy raises; the callers decide what that means.
  if (far < (x[0] as number)) return undefined;
  let i = 0;
  while (i + 1 < n - 1 && (x[i + 1] as number) <= far) i++;
  const xa = x[i] as number;
  const xb = x[i + 1] as number;
  if (xa === xb) return 0;
  const w = 1 / (xb - xa);
  return (y[i] as number) * (w * (xb - far)) + (y[i + 1] as number) * (w * (far - xa));
}

/**
 * TAR at a given FAR with insightface's `calculate_val` (reported as VAL@FAR=1e-3 beside the
 * verification accuracy): for each contiguous fold, the FAR of every candidate threshold on the
 * other folds; if the largest reaches `far`, the threshold interpolated at `far` (see above),
 * otherwise 0; then TAR and FAR of "same when distance < threshold" on the held-out fold.
 *
 * Where insightface would divide by zero (a fold without same or without different pairs) this
 * counts the rate as 0, as `calculate_accuracy` does for TPR and FPR.
 *
 * @example
 * const { tar } = tarAtFar(distances, isSame, 1e-3);
 * console.log(`VAL@FAR=1e-3: ${tar.mean.toFixed(4)} ± ${tar.std.toFixed(4)}`);
 */
export function tarAtFar(
  distances: ArrayLike<number>,
  isSame: ArrayLike<boolean | number>,
  far: number,
  options: TarAtFarOptions = {},
): TarAtFarResult {
  const fn = 'tarAtFar';
  const d = toDistances(distances, fn);
  const same = toFlags(isSame, d.length, fn);
  if (!(far >= 0 && far <= 1)) throw new InvalidArgumentError(`${fn}: far must be in [0, 1], got ${far}`);
  const k = options.folds ?? 10;
  checkFolds(k, d.length, fn);
  const thresholds = options.thresholds === undefined ? valThresholds() : toDistances(options.thresholds, fn, 'thresholds');
  if (thresholds.length < 2) throw new InvalidArgumentError(`${fn}: needs at least 2 thresholds to interpolate, got ${thresholds.length}`);
  const result = tarAtFarOnFolds(new FoldCounts(d, same, kFoldRanges(d.length, k)), thresholds, far);
  if (result === null) {
    throw new InvalidArgumentError(
      `${fn}: far ${far} is below the smallest training FAR over the thresholds [${thresholds[0]}, …]; ` +
        'the grid must start where nothing is accepted (a threshold at or below every distance)',
    );
  }
  return result;
}

/**
 * {@link tarAtFar} on counts already built; shared with {@link evaluateVerification}. Null when
 * some training fold's FAR is above `far` at every threshold (SciPy's interp1d raises there).
 */
export function tarAtFarOnFolds(counts: FoldCounts, thresholds: Float64Array, far: number): TarAtFarResult | null {
  let belowRange = false;
  const folds: TarAtFarFold[] = counts.ranges.map((range, f) => {
    const farTrain = new Float64Array(thresholds.length);
    let maxFar = 0;
    for (let j = 0; j < thresholds.length; j++) {
      const c = counts.train(f, thresholds[j] as number);
      const v = c.fp + c.tn === 0 ? 0 : c.fp / (c.fp + c.tn);
      farTrain[j] = v;
      if (v > maxFar) maxFar = v;
    }
    let threshold = maxFar >= far ? interpolateThreshold(farTrain, thresholds, far) : 0;
    if (threshold === undefined) {
      belowRange = true;
      threshold = Number.NaN;
    }
    const t = counts.test(f, threshold);
    return {
      threshold,
      tar: t.tp + t.fn === 0 ? 0 : t.tp / (t.tp + t.fn),
      far: t.fp + t.tn === 0 ? 0 : t.fp / (t.fp + t.tn),
      start: range.start,
      end: range.end,
    };
  });
  if (belowRange) return null;
  const tars = folds.map((f) => f.tar);
  return {
    targetFar: far,
    tar: { mean: numpyMean(tars), std: numpyStd(tars) },
    far: numpyMean(folds.map((f) => f.far)),
    folds,
  };
}

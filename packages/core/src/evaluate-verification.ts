import { accuracyThresholds, valThresholds } from './arange';
import { InvalidArgumentError } from './errors';
import { kFoldRanges } from './k-fold';
import { numpyMean, numpyStd } from './numpy-reductions';
import { FoldCounts, falsePositiveRate, truePositiveRate } from './pair-counts';
import { rocAuc } from './roc-auc';
import { tarAtFarOnFolds, type TarAtFarResult } from './tar-at-far';
import { checkFolds, toDistances, toFlags } from './validate';

/** Options of {@link evaluateVerification}. */
export interface VerificationOptions {
  /** Number of contiguous folds (scikit-learn `KFold(shuffle=False)`). Default 10. */
  folds?: number;
  /** Candidate thresholds for accuracy; default `numpy.arange(0, 4, 0.01)` (see {@link arange}). */
  thresholds?: ArrayLike<number>;
  /** The FAR of the reported TAR (insightface's VAL@FAR). Default 1e-3. */
  far?: number;
  /** Candidate thresholds for TAR@FAR; default `numpy.arange(0, 4, 0.001)`. */
  farThresholds?: ArrayLike<number>;
}

/** One fold of {@link evaluateVerification}. */
export interface VerificationFold {
  /** The first threshold that maximises accuracy on the other folds. */
  threshold: number;
  /** Its index in `thresholds`. */
  thresholdIndex: number;
  /** Accuracy of that threshold on the held-out fold. */
  accuracy: number;
  /** Its (maximal) accuracy on the other folds. */
  trainAccuracy: number;
  /** The held-out pairs: `start` inclusive, `end` exclusive. */
  start: number;
  end: number;
}

/** Result of {@link evaluateVerification}. */
export interface VerificationResult {
  /** Mean and standard deviation (ddof 0) of the held-out accuracies: insightface's "Accuracy-Flip". */
  accuracy: { mean: number; std: number };
  folds: VerificationFold[];
  /** The accuracy thresholds used. */
  thresholds: Float64Array;
  /** TPR per threshold, averaged over the held-out folds. */
  tpr: Float64Array;
  /** FPR per threshold, averaged over the held-out folds. */
  fpr: Float64Array;
  /** Exact ROC AUC over all pairs (see {@link rocAuc}); NaN when every pair is of one class. */
  auc: number;
  /**
   * TAR at `options.far` by insightface's protocol (see {@link tarAtFar}); null when the
   * `farThresholds` grid starts above the target FAR on some training fold (distances below
   * its first threshold), where insightface's interpolation raises.
   */
  tarAtFar: TarAtFarResult | null;
}

/**
 * insightface's pair-verification protocol (`eval/verification.py`, `calculate_roc` and
 * `calculate_val`), reproduced exactly on given distances.
 *
 * Distances are squared L2 distances between L2-normalised (flip-summed) embeddings, see
 * {@link verificationDistances} and {@link flipSumEmbeddings}. A pair is predicted "same" when
 * distance < threshold. For each of `folds` contiguous folds, the first threshold (lowest index)
 * with the highest accuracy on the other folds is scored on the held-out fold; TPR = tp/(tp+fn)
 * and FPR = fp/(fp+tn) on each held-out fold (0 for an empty denominator) are averaged per
 * threshold. Accuracies are ratios of integer counts, so each fold's threshold and accuracy are
 * bit for bit those of the Python code; means and standard deviations are summed in numpy's order.
 *
 * @example
 * const distances = verificationDistances(embeddingsA, embeddingsB);
 * const result = evaluateVerification(distances, isSame);
 * console.log(`${(100 * result.accuracy.mean).toFixed(2)}% ± ${(100 * result.accuracy.std).toFixed(2)}`);
 */
export function evaluateVerification(
  distances: ArrayLike<number>,
  isSame: ArrayLike<boolean | number>,
  options: VerificationOptions = {},
): VerificationResult {
  const fn = 'evaluateVerification';
  const d = toDistances(distances, fn);
  const same = toFlags(isSame, d.length, fn);
  const k = options.folds ?? 10;
  checkFolds(k, d.length, fn);
  const thresholds = options.thresholds === undefined ? accuracyThresholds() : toDistances(options.thresholds, fn, 'thresholds');
  const farThresholds =
    options.farThresholds === undefined ? valThresholds() : toDistances(options.farThresholds, fn, 'farThresholds');
  const far = options.far ?? 1e-3;
  if (!(far >= 0 && far <= 1)) throw new InvalidArgumentError(`${fn}: far must be in [0, 1], got ${far}`);
  if (farThresholds.length < 2) throw new InvalidArgumentError(`${fn}: needs at least 2 farThresholds, got ${farThresholds.length}`);

  const counts = new FoldCounts(d, same, kFoldRanges(d.length, k));
  const m = thresholds.length;
  const tprSum = new Float64Array(m);
  const fprSum = new Float64Array(m);
  const folds: VerificationFold[] = counts.ranges.map((range, f) => {
    // Training accuracy (tp + tn) / n has one denominator per fold, so comparing the integer
    // numerators picks the same threshold as numpy's argmax over the floats: the first maximum.
    let best = 0;
    let bestCorrect = -1;
    for (let j = 0; j < m; j++) {
      const c = counts.train(f, thresholds[j] as number);
      const correct = c.tp + c.tn;
      if (correct > bestCorrect) {
        bestCorrect = correct;
        best = j;
      }
      const t = counts.test(f, thresholds[j] as number);
      // numpy's mean over axis 0 adds the fold rows one after another, starting from 0.
      tprSum[j] = (tprSum[j] as number) + truePositiveRate(t);
      fprSum[j] = (fprSum[j] as number) + falsePositiveRate(t);
    }
    const threshold = thresholds[best] as number;
    const t = counts.test(f, threshold);
    const nTest = range.end - range.start;
    return {
      threshold,
      thresholdIndex: best,
      accuracy: (t.tp + t.tn) / nTest,
      trainAccuracy: bestCorrect / (d.length - nTest),
      start: range.start,
      end: range.end,
    };
  });
  const accuracies = folds.map((f) => f.accuracy);
  const tpr = tprSum.map((s) => s / k);
  const fpr = fprSum.map((s) => s / k);
  // AUC needs both classes; a set of one class has no ROC curve, but still an accuracy.
  let positives = 0;
  for (const s of same) positives += s;
  const auc = positives === 0 || positives === d.length ? Number.NaN : rocAuc(d, same);
  return {
    accuracy: { mean: numpyMean(accuracies), std: numpyStd(accuracies) },
    folds,
    thresholds,
    tpr,
    fpr,
    auc,
    tarAtFar: tarAtFarOnFolds(counts, farThresholds, far),
  };
}

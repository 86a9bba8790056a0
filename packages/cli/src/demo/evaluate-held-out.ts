import * as tf from '@tensorflow/tfjs-core';
import { evaluateVerification, hypersphereStatistics, verificationDistances } from '@arcface/core';
import type { VerificationPairs } from '@arcface/data';

import type { AngleStatisticsDegrees, VerificationSummary } from '../report/demo-report';
import { normalizeRows } from './statistics';

/** Rows of a row-major matrix as views, the form `verificationDistances` takes. */
function rows(data: Float32Array, size: number, indices: readonly number[]): Float32Array[] {
  return indices.map((i) => data.subarray(i * size, (i + 1) * size));
}

/**
 * insightface's verification protocol on given embeddings (already flip-summed) and pairs:
 * squared L2 between normalised rows, 10 contiguous folds, TAR at `far`, ROC AUC.
 *
 * @example
 * ```ts
 * const summary = verifyPairs(embeddings, 64, pairs, 1e-3);
 * ```
 */
export function verifyPairs(embeddings: Float32Array, size: number, pairs: VerificationPairs, far = 1e-3): VerificationSummary {
  const distances = verificationDistances(rows(embeddings, size, pairs.first), rows(embeddings, size, pairs.second));
  const result = evaluateVerification(distances, pairs.isSame, { folds: pairs.folds, far });
  // Every 4th threshold of the 400 (0.04 apart) is plenty for a ROC drawing.
  const pick = (values: Float64Array): number[] => Array.from(values).filter((_, i) => i % 4 === 0 || i === values.length - 1);
  return {
    pairs: pairs.isSame.length,
    samePairs: pairs.isSame.filter(Boolean).length,
    folds: pairs.folds,
    accuracy: result.accuracy,
    foldResults: result.folds.map((f) => ({ threshold: f.threshold, accuracy: f.accuracy })),
    // null from the protocol (the FAR grid cannot reach `far`) is kept as NaN, written as null in JSON.
    tarAtFar:
      result.tarAtFar === null
        ? { targetFar: far, tar: { mean: Number.NaN, std: Number.NaN }, far: Number.NaN }
        : { targetFar: result.tarAtFar.targetFar, tar: result.tarAtFar.tar, far: result.tarAtFar.far },
    auc: result.auc,
    roc: { fpr: pick(result.fpr), tpr: pick(result.tpr) },
  };
}

/** Per-class mean of the normalised rows: the feature centres of a labelled set. */
export function featureCentres(embeddings: Float32Array, size: number, labels: Int32Array, classes: number): Float32Array {
  const unit = normalizeRows(embeddings, size);
  const sums = new Float32Array(classes * size);
  for (let i = 0; i < labels.length; i += 1) {
    const c = labels[i] as number;
    for (let k = 0; k < size; k += 1) sums[c * size + k] = (sums[c * size + k] as number) + (unit[i * size + k] as number);
  }
  return sums;
}

/**
 * The paper's Table 3 statistics through `hypersphereStatistics`. Without class centres (held-
 * out identities) the feature centres stand in for them, so only Intra and Inter mean anything.
 */
export async function angleStatistics(
  embeddings: Float32Array,
  size: number,
  labels: Int32Array,
  classes: number,
  centers?: Float32Array,
): Promise<AngleStatisticsDegrees> {
  const n = labels.length;
  const w = centers ?? featureCentres(embeddings, size, labels, classes);
  const e = tf.tensor2d(embeddings, [n, size]);
  const l = tf.tensor1d(labels, 'int32');
  const c = tf.tensor2d(w, [classes, size]);
  try {
    const s = await hypersphereStatistics(e, l, c);
    return { wEc: s.wEC, wInter: s.wInter, intra: s.intra, inter: s.inter };
  } finally {
    tf.dispose([e, l, c]);
  }
}

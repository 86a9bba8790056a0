import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from '@arcface/margins';
import { InvalidArgumentError, ShapeMismatchError, cosineMatrix } from '@arcface/core';
import { MAX_ANGULAR_MARGIN, checkChoice, checkNumber } from './options';
import {
  type AngularBoundary,
  additiveAngularTarget,
  additiveAngularTargetScalar,
  checkLogitInputs,
  replaceTargets,
  straightThrough,
  targetCosines,
  targetMask,
} from './tensor-ops';

/** Sub-center ArcFace's own options and their defaults (insightface's SubCenter-ArcFace, `loss_K=3`). */
export const SUBCENTER_ARCFACE_DEFAULTS = {
  /** Sub-centres per class, K. */
  k: 3,
  /** Angular margin m. */
  m: 0.5,
  /** Boundary of cos(θ + m): 'thmm' as pytorch-metric-learning's SubCenterArcFaceLoss, or 'none', 'easy'. */
  boundary: 'thmm' as 'thmm' | 'none' | 'easy',
};

/**
 * Sub-center ArcFace (Deng et al., ECCV 2020): each class has K sub-centres; a sample's cosine
 * to a class is the largest over its sub-centres, cos θ_j = max_k cos θ_{j,k}, and the ArcFace
 * margin applies to that. Noisy samples gather around non-dominant sub-centres instead of
 * pulling the class centre away.
 *
 * **Centres.** A head provides K rows per class: centres `[C·K, D]`, where row `c·K + k` is
 * sub-centre k of class c (insightface's `reshape(-1, C, K)` layout). `logits` takes the
 * cosines `[B, C·K]` against all of them and returns logits `[B, C]`, so
 * `marginSoftmaxLoss(embeddings, centres, labels, margin)` works unchanged: a trainer's head
 * only has to create its class-centre matrix with `numClasses · k` rows. After training,
 * {@link subcenterOutliers} finds the samples far from their class's dominant sub-centre, to
 * drop before retraining with K = 1.
 *
 * @example
 * ```ts
 * import { subcenterArcFace } from '@arcface/margins-contrib';
 * const margin = subcenterArcFace({ k: 3 });
 * console.log(margin.targetLogit(Math.PI / 3)); // cos(π/3 + 0.5) ≈ 0.0236
 * ```
 */
export const subcenterArcFace = defineMargin({
  name: 'subcenter-arcface',
  defaults: SUBCENTER_ARCFACE_DEFAULTS,
  validate(o, fail) {
    checkNumber(fail, 'k', o.k, 1, 1024, true);
    checkNumber(fail, 'm', o.m, 0, MAX_ANGULAR_MARGIN);
    checkChoice(fail, 'boundary', o.boundary, ['thmm', 'none', 'easy']);
  },
  setup({ k, m, boundary, s, gradient }) {
    const policy = boundary as AngularBoundary;
    return {
      targetLogit: (theta) => additiveAngularTargetScalar(theta, m, policy),
      boundaries: () => (policy === 'easy' ? [Math.PI / 2] : policy === 'thmm' ? [Math.PI - m] : []),
      logits(cosines, labels) {
        checkLogitInputs('subcenter-arcface', cosines, labels, k);
        return tf.tidy(() => {
          const pooled = poolSubcenters(tf.clipByValue(cosines, -1, 1) as tf.Tensor2D, k);
          const mask = targetMask(labels, pooled.shape[1]);
          const cosTarget = targetCosines(pooled, mask);
          let target = additiveAngularTarget(cosTarget, m, policy);
          if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
          return tf.mul(replaceTargets(pooled, mask, target, cosTarget), s) as tf.Tensor2D;
        });
      },
    };
  },
});

/** max over each class's K sub-centre columns: [B, C·K] → [B, C]. */
export function poolSubcenters(cosines: tf.Tensor2D, k: number): tf.Tensor2D {
  const [rows, columns] = cosines.shape;
  if (columns % k !== 0) {
    throw new ShapeMismatchError(`poolSubcenters: ${columns} columns are not a whole number of classes of ${k} sub-centres`);
  }
  if (k === 1) return tf.clone(cosines);
  return tf.tidy(() => tf.max(tf.reshape(cosines, [rows, columns / k, k]), 2) as tf.Tensor2D);
}

/** What {@link subcenterOutliers} finds. */
export interface SubcenterOutliers {
  /** Per class, the sub-centre most of its samples are closest to. */
  dominant: Int32Array;
  /** Per sample, its angle in degrees to its class's dominant sub-centre. */
  angles: Float32Array;
  /** Indices of the samples farther than the threshold: drop them and retrain with K = 1. */
  outliers: number[];
}

/**
 * The cleaning step of Sub-center ArcFace: per class, the dominant sub-centre is the one that
 * most of the class's samples are closest to; samples more than `thresholdDegrees` [75] from
 * it are outliers (label noise). Centres are `[C·K, D]` as {@link subcenterArcFace} describes.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { subcenterOutliers } from '@arcface/margins-contrib';
 * const centres = tf.tensor2d([[1, 0], [0, 1]]); // one class, K = 2
 * const embeddings = tf.tensor2d([[1, 0.1], [1, -0.1], [-1, 0.05]]);
 * const found = await subcenterOutliers(embeddings, centres, tf.tensor1d([0, 0, 0], 'int32'), { k: 2 });
 * console.log(found.outliers); // [2]: 177° from the dominant sub-centre
 * ```
 */
export async function subcenterOutliers(
  embeddings: tf.Tensor2D,
  centres: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: { k?: number; thresholdDegrees?: number } = {},
): Promise<SubcenterOutliers> {
  const k = options.k ?? SUBCENTER_ARCFACE_DEFAULTS.k;
  const threshold = options.thresholdDegrees ?? 75;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`subcenterOutliers: k must be an integer ≥ 1, got ${k}`);
  if (!(threshold >= 0 && threshold <= 180)) {
    throw new InvalidArgumentError(`subcenterOutliers: thresholdDegrees must be in [0, 180], got ${threshold}`);
  }
  const rows = centres.shape[0];
  if (rows % k !== 0) {
    throw new ShapeMismatchError(`subcenterOutliers: ${rows} centre rows are not a whole number of classes of ${k} sub-centres`);
  }
  if (labels.shape[0] !== embeddings.shape[0]) {
    throw new ShapeMismatchError(`subcenterOutliers: ${labels.shape[0]} labels for ${embeddings.shape[0]} embeddings`);
  }
  const cosTensor = tf.tidy(() => cosineMatrix(embeddings, centres));
  const [cos, labelValues] = await Promise.all([cosTensor.data(), labels.data()]);
  cosTensor.dispose();
  const classes = rows / k;
  const count = embeddings.shape[0];
  const votes = new Int32Array(classes * k);
  for (let i = 0; i < count; i += 1) {
    const c = labelValues[i] as number;
    let best = 0;
    for (let j = 1; j < k; j += 1) if ((cos[i * rows + c * k + j] as number) > (cos[i * rows + c * k + best] as number)) best = j;
    votes[c * k + best] = (votes[c * k + best] as number) + 1;
  }
  const dominant = new Int32Array(classes);
  for (let c = 0; c < classes; c += 1) {
    let best = 0;
    for (let j = 1; j < k; j += 1) if ((votes[c * k + j] as number) > (votes[c * k + best] as number)) best = j;
    dominant[c] = best;
  }
  const angles = new Float32Array(count);
  const outliers: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const c = labelValues[i] as number;
    const value = cos[i * rows + c * k + (dominant[c] as number)] as number;
    angles[i] = (Math.acos(Math.min(1, Math.max(-1, value))) * 180) / Math.PI;
    if ((angles[i] as number) > threshold) outliers.push(i);
  }
  return { dominant, angles, outliers };
}

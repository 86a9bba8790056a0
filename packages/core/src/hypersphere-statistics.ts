import * as tf from '@tensorflow/tfjs-core';
import { DegenerateInputError, EmptyInputError, InvalidArgumentError, NotANumberError, ShapeMismatchError } from './errors';
import { l2Normalize } from './normalize';

/** The angle statistics of the ArcFace paper's Table 3, in degrees. */
export interface HypersphereStatistics {
  /** W-EC: mean angle between each class centre W_j and its class's feature centre. */
  wEC: number;
  /** W-Inter: mean over j of the smallest angle from W_j to any other class centre. */
  wInter: number;
  /** Intra: mean angle from each sample to its class's feature centre. */
  intra: number;
  /** Inter: mean over classes of the smallest angle from its feature centre to another's. */
  inter: number;
  /** Classes that have at least one sample (those W-EC and Inter average over). */
  classesWithSamples: number;
}

/** Rows per block, so that [N, C] one-hot and [C, C] cosine matrices never exist whole. */
const BLOCK = 2048;

/**
 * Angles between unit rows a_i and b_i as 2·atan2(‖a − b‖, ‖a + b‖): exact to float32 rounding
 * of the rows at every angle, where acos of a float32 cosine is off by δ/sin θ (0.02° for
 * identical directions, where the cosine rounds to 1 − 6e-8).
 */
function chordNorms(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.stack([tf.norm(tf.sub(a, b), 'euclidean', 1), tf.norm(tf.add(a, b), 'euclidean', 1)], 1) as tf.Tensor2D;
}

/** Reads (‖a − b‖, ‖a + b‖) pairs and appends their angles in radians, in float64. */
async function appendAngles(norms: tf.Tensor2D, out: number[]): Promise<void> {
  const v = await norms.data();
  norms.dispose();
  for (let i = 0; i < v.length; i += 2) out.push(2 * Math.atan2(v[i] as number, v[i + 1] as number));
}

function meanDegrees(angles: number[], skip?: (i: number) => boolean): number {
  let sum = 0;
  let n = 0;
  angles.forEach((a, i) => {
    if (skip?.(i)) return;
    sum += a;
    n++;
  });
  return ((sum / n) * 180) / Math.PI;
}

/**
 * Angle from each unit row of `a` to its nearest other row (largest cosine), skipping the row
 * itself and the masked columns; block by block of rows.
 */
async function nearestOtherAngles(a: tf.Tensor2D, excludedColumns: tf.Tensor1D): Promise<number[]> {
  const [c] = a.shape;
  const out: number[] = [];
  for (let start = 0; start < c; start += BLOCK) {
    const size = Math.min(BLOCK, c - start);
    const norms = tf.tidy(() => {
      const rows = tf.slice(a, [start, 0], [size, -1]);
      const cos = tf.matMul(rows, a, false, true);
      // Cosines live in [−1, 1]; subtracting 4 puts the excluded entries below any real one.
      const self = tf.oneHot(tf.range(start, start + size, 1, 'int32'), c);
      const penalty = tf.mul(4, tf.add(self, tf.expandDims(excludedColumns, 0)));
      const nearest = tf.argMax(tf.sub(cos, penalty), 1);
      return chordNorms(rows, tf.gather(a, nearest));
    });
    await appendAngles(norms, out);
  }
  return out;
}

/**
 * The hypersphere statistics of Deng et al. (ArcFace, Table 3), in degrees, from embeddings
 * [N, D], int32 labels [N] in [0, C) and class centres [C, D] as rows (insightface's layout).
 * A class's feature centre is the normalised mean of its normalised embeddings. Classes without
 * samples have no feature centre: W-EC and Inter average over the classes that have samples,
 * W-Inter over all centres. Vectors are compared in float32 with tfjs, as 2·atan2(‖a − b‖, ‖a + b‖),
 * which stays accurate near 0° and 180° where acos of a float32 cosine does not; means in float64.
 *
 * @example
 * const stats = await hypersphereStatistics(embeddings, labels, centers);
 * console.log(`W-EC ${stats.wEC.toFixed(2)}°, Intra ${stats.intra.toFixed(2)}°`);
 */
export async function hypersphereStatistics(
  embeddings: tf.Tensor2D,
  labels: tf.Tensor1D,
  centers: tf.Tensor2D,
): Promise<HypersphereStatistics> {
  const fn = 'hypersphereStatistics';
  if (embeddings.rank !== 2 || centers.rank !== 2 || labels.rank !== 1) {
    throw new ShapeMismatchError(
      `${fn}: expected embeddings [N, D], labels [N], centers [C, D]; got [${embeddings.shape}], [${labels.shape}], [${centers.shape}]`,
    );
  }
  const [n, d] = embeddings.shape;
  const [c, dc] = centers.shape;
  if (d !== dc || labels.shape[0] !== n) {
    throw new ShapeMismatchError(`${fn}: embeddings [${embeddings.shape}], labels [${labels.shape}], centers [${centers.shape}] do not fit`);
  }
  if (n === 0 || d === 0) throw new EmptyInputError(`${fn}: embeddings [${embeddings.shape}] are empty`);
  if (labels.dtype !== 'int32') throw new InvalidArgumentError(`${fn}: labels must be int32, got ${labels.dtype}`);
  if (c < 2) throw new DegenerateInputError(`${fn}: W-Inter needs at least 2 class centres, got ${c}`);

  const labelValues = await labels.data();
  const counts = new Int32Array(c);
  labelValues.forEach((y, i) => {
    if (y < 0 || y >= c) throw new InvalidArgumentError(`${fn}: labels[${i}] is ${y}, outside [0, ${c})`);
    counts[y] = (counts[y] as number) + 1;
  });
  const present = counts.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
  if (present < 2) throw new DegenerateInputError(`${fn}: Inter needs samples of at least 2 classes, got ${present}`);

  const sums = tf.tidy(() => tf.add(tf.sum(embeddings), tf.sum(centers)));
  const total = (await sums.data())[0] as number;
  sums.dispose();
  if (Number.isNaN(total)) throw new NotANumberError(`${fn}: embeddings or centers contain NaN`);

  // Feature centres: sums of normalised embeddings per class, block by block of samples.
  let featureSum = tf.zeros([c, d]) as tf.Tensor2D;
  for (let start = 0; start < n; start += BLOCK) {
    const size = Math.min(BLOCK, n - start);
    const next = tf.tidy(() => {
      const x = l2Normalize(tf.slice(embeddings, [start, 0], [size, -1]));
      const onehot = tf.oneHot(tf.slice(labels, [start], [size]), c);
      return tf.add(featureSum, tf.matMul(onehot, x, true, false)) as tf.Tensor2D;
    });
    featureSum.dispose();
    featureSum = next;
  }
  const featureCenters = tf.tidy(() => l2Normalize(featureSum));
  featureSum.dispose();
  const unitCenters = l2Normalize(centers);
  const absent = tf.tensor1d(Array.from(counts, (v) => (v > 0 ? 0 : 1)), 'float32');
  const none = tf.zeros([c]) as tf.Tensor1D;
  try {
    const wec: number[] = [];
    await appendAngles(tf.tidy(() => chordNorms(unitCenters, featureCenters)), wec);
    const intra: number[] = [];
    for (let start = 0; start < n; start += BLOCK) {
      const size = Math.min(BLOCK, n - start);
      const norms = tf.tidy(() => {
        const x = l2Normalize(tf.slice(embeddings, [start, 0], [size, -1]));
        return chordNorms(x, tf.gather(featureCenters, tf.slice(labels, [start], [size])));
      });
      await appendAngles(norms, intra);
    }
    const wInter = await nearestOtherAngles(unitCenters, none);
    const inter = await nearestOtherAngles(featureCenters, absent);
    const missing = (j: number) => counts[j] === 0;
    return {
      wEC: meanDegrees(wec, missing),
      wInter: meanDegrees(wInter),
      intra: meanDegrees(intra),
      inter: meanDegrees(inter, missing),
      classesWithSamples: present,
    };
  } finally {
    tf.dispose([featureCenters, unitCenters, absent, none]);
  }
}

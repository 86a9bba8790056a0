import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';

/** The paper's Table 3 angle statistics, in degrees. */
export interface AngleStatistics {
  /** Mean angle between each class centre W_j and the mean feature of its class. */
  readonly wEc: number;
  /** Mean over centres of the minimum angle to any other centre. */
  readonly wInter: number;
  /** Mean angle between each sample and its class's feature centre. */
  readonly intra: number;
  /** Mean over classes of the minimum angle between class feature centres. */
  readonly inter: number;
}

/**
 * Table 3 of the ArcFace paper on embeddings `[N, D]`, labels and class centres `[C, D]` (rows).
 * A class's feature centre is the normalised mean of its normalised embeddings; classes with no
 * sample in `embeddings` are left out of W-EC, Intra and Inter. Reads the tensors once.
 *
 * @example
 * const stats = await angleStatistics(embeddings, labels, centers); // { wEc, wInter, intra, inter }
 */
export async function angleStatistics(embeddings: tf.Tensor2D, labels: Int32Array, centers: tf.Tensor2D): Promise<AngleStatistics> {
  const [n, d] = embeddings.shape;
  const [c, dc] = centers.shape;
  if (d !== dc) throw new InvalidArgumentError(`angleStatistics: embeddings are ${d}-d, centres ${dc}-d`);
  if (labels.length !== n) throw new InvalidArgumentError(`angleStatistics: ${n} embeddings but ${labels.length} labels`);
  const unitRows = tf.tidy(() => [tf.div(embeddings, tf.norm(embeddings, 2, 1, true)), tf.div(centers, tf.norm(centers, 2, 1, true))]);
  const [xData, wData] = await Promise.all(unitRows.map((t) => t.data()));
  tf.dispose(unitRows);
  const x = Float64Array.from(xData as Float32Array);
  const w = Float64Array.from(wData as Float32Array);
  const sums = new Float64Array(c * d);
  const counts = new Int32Array(c);
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (y < 0 || y >= c) throw new InvalidArgumentError(`angleStatistics: label ${y} outside [0, ${c})`);
    counts[y]!++;
    for (let k = 0; k < d; k++) sums[y * d + k]! += x[i * d + k] as number;
  }
  const present = [...counts.keys()].filter((k) => (counts[k] as number) > 0);
  const featureCentre = new Map<number, Float64Array>();
  for (const k of present) featureCentre.set(k, unit(sums.subarray(k * d, (k + 1) * d)));
  const angle = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let dot = 0;
    for (let k = 0; k < d; k++) dot += (a[k] as number) * (b[k] as number);
    return (Math.acos(Math.min(1, Math.max(-1, dot))) * 180) / Math.PI;
  };
  const row = (m: Float64Array, i: number) => m.subarray(i * d, (i + 1) * d);
  const mean = (values: number[]) => (values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length);
  const wEc = mean(present.map((k) => angle(row(w, k), featureCentre.get(k) as Float64Array)));
  const minAngle = (i: number, count: number, get: (j: number) => ArrayLike<number>) => {
    let best = Infinity;
    for (let j = 0; j < count; j++) if (j !== i) best = Math.min(best, angle(get(i), get(j)));
    return best;
  };
  const wInter = c < 2 ? NaN : mean(Array.from({ length: c }, (_, i) => minAngle(i, c, (j) => row(w, j))));
  const intra = mean(Array.from({ length: n }, (_, i) => angle(row(x, i), featureCentre.get(labels[i] as number) as Float64Array)));
  const centresList = present.map((k) => featureCentre.get(k) as Float64Array);
  const inter = centresList.length < 2 ? NaN : mean(centresList.map((_, i) => minAngle(i, centresList.length, (j) => centresList[j] as Float64Array)));
  return { wEc, wInter, intra, inter };
}

function unit(v: Float64Array): Float64Array {
  let norm = 0;
  for (const a of v) norm += a * a;
  norm = Math.sqrt(norm) || 1;
  return Float64Array.from(v, (a) => a / norm);
}

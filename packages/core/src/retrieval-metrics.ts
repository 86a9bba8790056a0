import * as tf from '@tensorflow/tfjs-core';
import { DegenerateInputError, EmptyInputError, InvalidArgumentError, NotANumberError, ShapeMismatchError } from './errors';
import { l2Normalize } from './normalize';
import { normalizeRow } from './normalize-row';
import { toRows } from './validate';

/** Result of {@link retrievalMetrics}. */
export interface RetrievalMetrics {
  /** Share of queries whose nearest other sample has their label. */
  precisionAtOne: number;
  /** Mean average precision at R (Musgrave et al., "A Metric Learning Reality Check"). */
  mapAtR: number;
  /** Queries counted: samples whose label occurs at least twice. */
  queries: number;
}

/** Query rows per block of the tensor path: [BLOCK, N] similarities at a time. */
const BLOCK = 512;

/**
 * Selects the k-th largest value of `v` (k ≥ 1) by quickselect on a copy: O(n) on average.
 */
function kthLargest(v: Float64Array, k: number): number {
  const a = v.slice();
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    // Median of three as pivot keeps sorted rows (common for similarities) linear.
    const mid = (lo + hi) >>> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) > pivot) i++;
      while ((a[j] as number) < pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target] as number;
  }
  return a[target] as number;
}

/**
 * Scores one query from its similarities to every sample. Neighbours are ranked by similarity,
 * ties by index (the lower first), and the query itself is left out.
 */
function scoreQuery(sims: Float64Array, query: number, labels: Float64Array, r: number): { hit: number; ap: number } {
  const label = labels[query] as number;
  sims[query] = Number.NEGATIVE_INFINITY;
  const others = new Float64Array(sims.length - 1);
  let best = -1;
  for (let j = 0, k = 0; j < sims.length; j++) {
    if (j === query) continue;
    others[k++] = sims[j] as number;
    if (best < 0 || (sims[j] as number) > (sims[best] as number)) best = j;
  }
  const hit = labels[best] === label ? 1 : 0;
  // The R nearest: everything above the R-th largest value, then ties at it in index order.
  const cut = kthLargest(others, r);
  const top: number[] = [];
  for (let j = 0; j < sims.length; j++) if (j !== query && (sims[j] as number) > cut) top.push(j);
  for (let j = 0; j < sims.length && top.length < r; j++) if (j !== query && sims[j] === cut) top.push(j);
  top.sort((a, b) => (sims[b] as number) - (sims[a] as number) || a - b);
  // AP@R = (1/R) Σ_{i ≤ R} P(i)·rel(i): precision at each relevant rank among the first R.
  let correct = 0;
  let sum = 0;
  top.forEach((j, i) => {
    if (labels[j] === label) {
      correct++;
      sum += correct / (i + 1);
    }
  });
  return { hit, ap: sum / r };
}

async function labelValues(labels: ArrayLike<number> | tf.Tensor1D, n: number, fn: string): Promise<Float64Array> {
  const values = labels instanceof tf.Tensor ? Float64Array.from(await labels.data()) : Float64Array.from(labels);
  if (values.length !== n) throw new ShapeMismatchError(`${fn}: ${n} embeddings but ${values.length} labels`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${fn}: labels[${i}] is ${v}`);
  });
  return values;
}

/**
 * Identification metrics with the embeddings as both queries and references, the query itself
 * left out, as pytorch-metric-learning's `AccuracyCalculator` computes them with
 * `include_self = false` (same source): precision@1 and MAP@R, where R is the number of other
 * samples with the query's label. Queries whose label occurs once have nothing to find and are
 * not counted (PML's "lone queries"). Neighbours are ranked by cosine similarity, the same order
 * as L2 distance between L2-normalised embeddings; equal similarities rank by index.
 *
 * Number rows are compared in float64; a tensor [N, D] is compared in float32 by tfjs, block by block.
 *
 * @example
 * const { precisionAtOne, mapAtR } = await retrievalMetrics(embeddings, labels);
 */
export async function retrievalMetrics(
  embeddings: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number> | tf.Tensor1D,
): Promise<RetrievalMetrics> {
  const fn = 'retrievalMetrics';
  let n: number;
  let rowsOf: (start: number, size: number) => Promise<Float64Array[]>;
  if (embeddings instanceof tf.Tensor) {
    if (embeddings.rank !== 2) throw new ShapeMismatchError(`${fn}: embeddings must be [N, D], got [${embeddings.shape}]`);
    n = embeddings.shape[0];
    if (n === 0 || embeddings.shape[1] === 0) throw new EmptyInputError(`${fn}: embeddings [${embeddings.shape}] are empty`);
    const total = tf.sum(embeddings);
    const sum = (await total.data())[0] as number;
    total.dispose();
    if (Number.isNaN(sum)) throw new NotANumberError(`${fn}: embeddings contain NaN`);
    const unit = l2Normalize(embeddings);
    rowsOf = async (start, size) => {
      const block = tf.tidy(() => tf.matMul(tf.slice(unit, [start, 0], [size, -1]), unit, false, true));
      const flat = await block.data();
      block.dispose();
      return Array.from({ length: size }, (_, i) => Float64Array.from(flat.subarray(i * n, (i + 1) * n)));
    };
    try {
      return await score(n, rowsOf, await labelValues(labels, n, fn), fn);
    } finally {
      unit.dispose();
    }
  }
  const unit = toRows(embeddings, fn, 'embeddings').map(normalizeRow);
  n = unit.length;
  // Plain loops: a callback per similarity (Float64Array.from) runs 2–3× slower in V8.
  rowsOf = async (start, size) =>
    unit.slice(start, start + size).map((q) => {
      const sims = new Float64Array(unit.length);
      for (let j = 0; j < unit.length; j++) {
        const row = unit[j] as Float64Array;
        let s = 0;
        for (let k = 0; k < q.length; k++) s += (q[k] as number) * (row[k] as number);
        sims[j] = s;
      }
      return sims;
    });
  return score(n, rowsOf, await labelValues(labels, n, fn), fn);
}

async function score(
  n: number,
  rowsOf: (start: number, size: number) => Promise<Float64Array[]>,
  labels: Float64Array,
  fn: string,
): Promise<RetrievalMetrics> {
  const counts = new Map<number, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  let hits = 0;
  let apSum = 0;
  let queries = 0;
  for (let start = 0; start < n; start += BLOCK) {
    const size = Math.min(BLOCK, n - start);
    const rows = await rowsOf(start, size);
    rows.forEach((sims, i) => {
      const q = start + i;
      const r = (counts.get(labels[q] as number) as number) - 1;
      if (r === 0) return;
      const { hit, ap } = scoreQuery(sims, q, labels, r);
      hits += hit;
      apSum += ap;
      queries++;
    });
  }
  if (queries === 0) throw new DegenerateInputError(`${fn}: no label occurs twice among ${n} samples, so no query has a match`);
  return { precisionAtOne: hits / queries, mapAtR: apSum / queries, queries };
}

/** Precision@1 of {@link retrievalMetrics}. @example await precisionAtOne([[1, 0], [0.9, 0.1], [0, 1]], [0, 0, 1]) // 1 */
export async function precisionAtOne(
  embeddings: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number> | tf.Tensor1D,
): Promise<number> {
  return (await retrievalMetrics(embeddings, labels)).precisionAtOne;
}

/** MAP@R of {@link retrievalMetrics}. @example await mapAtR([[1, 0], [0.9, 0.1], [0, 1]], [0, 0, 1]) // 1 */
export async function mapAtR(
  embeddings: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
  labels: ArrayLike<number> | tf.Tensor1D,
): Promise<number> {
  return (await retrievalMetrics(embeddings, labels)).mapAtR;
}

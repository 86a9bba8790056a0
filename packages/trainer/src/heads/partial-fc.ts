import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import { createRng, hashSeed } from '@arcface/data';
import { fillNormal } from './gaussian';
import type { ClassificationHead, HeadState, HeadStep } from './head';

/**
 * Partial FC (arcface_torch `partial_fc_v2.py`): each step trains every centre of a class in
 * the batch plus negatives drawn uniformly without replacement, S = max(#positives,
 * round(sampleRate·C)) centres, kept in ascending class order with the labels remapped (as
 * insightface's sort + `searchsorted`).
 *
 * The centres and their optimiser slots live in host memory (Float32Array), not as tensors:
 * only the S sampled rows become tensors, so a step's device memory is O(S·D) whatever C is,
 * and rows of classes not drawn are left untouched that step (a sparse update; insightface's
 * dense optimiser also decays them). 100,000 × 512 centres cost 205 MB of host memory per copy.
 *
 * @example
 * const head = partialFc({ numClasses: 100_000, embeddingSize: 512, sampleRate: 0.1, seed: 1 });
 */
export function partialFc(options: { numClasses: number; embeddingSize: number; sampleRate: number; seed: number; std?: number }): ClassificationHead {
  const { numClasses, embeddingSize: d, sampleRate, seed } = options;
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new InvalidArgumentError(`partial-fc: sampleRate must be in (0, 1], got ${sampleRate}`);
  const weights = fillNormal(new Float32Array(numClasses * d), options.std ?? 0.01, seed);
  let slots: Float32Array[] = [];
  const target = Math.max(1, Math.round(sampleRate * numClasses));

  const gather = (source: Float32Array, rows: Int32Array): Float32Array => {
    const out = new Float32Array(rows.length * d);
    rows.forEach((r, i) => out.set(source.subarray(r * d, (r + 1) * d), i * d));
    return out;
  };
  const scatter = (into: Float32Array, rows: Int32Array, values: Float32Array): void => {
    rows.forEach((r, i) => into.set(values.subarray(i * d, (i + 1) * d), r * d));
  };

  return {
    config: { type: 'partial-fc', sampleRate },
    numClasses,
    embeddingSize: d,
    prepare(labels: Int32Array, step: number): HeadStep {
      const rows = sampleClasses(labels, numClasses, target, hashSeed(seed, 'partial-fc', step));
      const rowOf = new Map<number, number>();
      rows.forEach((c, i) => rowOf.set(c, i));
      const remapped = Int32Array.from(labels, (c) => rowOf.get(c) as number);
      const centers = tf.tidy(() => tf.variable(tf.tensor2d(gather(weights, rows), [rows.length, d]), true));
      const labelTensor = tf.tensor1d(remapped, 'int32');
      return {
        centers,
        classes: rows,
        labels: labelTensor,
        apply(grad, optimizer, lr, t) {
          while (slots.length < optimizer.slots.length) slots.push(new Float32Array(numClasses * d));
          const current = slots.slice(0, optimizer.slots.length);
          const updated = tf.tidy(() => {
            const slotRows = current.map((s) => tf.tensor2d(gather(s, rows), [rows.length, d]));
            const next = optimizer.update(centers, grad, slotRows, lr, t);
            return [next.param, ...next.slots];
          });
          // One read per tensor; written back row by row into the host arrays.
          scatter(weights, rows, updated[0]!.dataSync() as Float32Array);
          current.forEach((s, i) => scatter(s, rows, updated[i + 1]!.dataSync() as Float32Array));
          tf.dispose(updated);
        },
        dispose() {
          tf.dispose([centers, labelTensor]);
        },
      };
    },
    centers() {
      return tf.tensor2d(weights, [numClasses, d]);
    },
    async getState(): Promise<HeadState> {
      return { centers: weights.slice(), slots: slots.map((s) => s.slice()) };
    },
    setState(state) {
      weights.set(state.centers);
      slots = state.slots.map((s) => s.slice());
    },
    dispose() {
      slots = [];
    },
  };
}

/**
 * The classes one step trains: all positives, plus negatives drawn without replacement (a
 * partial Fisher–Yates over the negatives) until `target` classes, sorted ascending.
 */
export function sampleClasses(labels: Int32Array, numClasses: number, target: number, seed: number): Int32Array {
  const positive = new Uint8Array(numClasses);
  let positives = 0;
  for (const c of labels) {
    if (c < 0 || c >= numClasses) throw new InvalidArgumentError(`label ${c} is outside [0, ${numClasses})`);
    if (positive[c] === 0) {
      positive[c] = 1;
      positives++;
    }
  }
  const wanted = Math.min(numClasses, Math.max(target, positives)) - positives;
  const negatives = new Int32Array(numClasses - positives);
  let k = 0;
  for (let c = 0; c < numClasses; c++) if (positive[c] === 0) negatives[k++] = c;
  const rng = createRng(seed);
  for (let i = 0; i < wanted; i++) {
    const j = i + rng.int(negatives.length - i);
    const t = negatives[i] as number;
    negatives[i] = negatives[j] as number;
    negatives[j] = t;
  }
  const chosen = new Int32Array(positives + wanted);
  let n = 0;
  for (let c = 0; c < numClasses; c++) if (positive[c] === 1) chosen[n++] = c;
  chosen.set(negatives.subarray(0, wanted), n);
  return chosen.sort();
}

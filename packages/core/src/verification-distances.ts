import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from './errors';
import { l2Normalize } from './normalize';
import { normalizeRow } from './normalize-row';
import { toRows } from './validate';

/**
 * Squared L2 distance between the L2-normalised rows of `a` and `b`, pair by pair: insightface's
 * `np.sum(np.square(e1 − e2), 1)` on normalised embeddings, in [0, 4]. Computed as the sum of
 * squared differences, not 2 − 2·cos, so that identical embeddings give exactly 0.
 *
 * Number rows give a Float64Array (float64 throughout); tensors [N, D] give a float32 tensor [N].
 *
 * @example
 * verificationDistances([[1, 0]], [[0, 2]]) // Float64Array [2]
 */
export function verificationDistances(a: ReadonlyArray<ArrayLike<number>>, b: ReadonlyArray<ArrayLike<number>>): Float64Array;
export function verificationDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D;
export function verificationDistances(
  a: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
  b: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
): Float64Array | tf.Tensor1D {
  const fn = 'verificationDistances';
  if (a instanceof tf.Tensor || b instanceof tf.Tensor) {
    if (!(a instanceof tf.Tensor && b instanceof tf.Tensor)) throw new ShapeMismatchError(`${fn}: pass two tensors or two arrays of rows, not one of each`);
    if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
      throw new ShapeMismatchError(`${fn}: a has shape [${a.shape}], b has shape [${b.shape}]; expected two equal [N, D]`);
    }
    return tf.tidy(() => tf.sum(tf.square(tf.sub(l2Normalize(a), l2Normalize(b))), 1) as tf.Tensor1D);
  }
  const rowsA = toRows(a, fn, 'a');
  const rowsB = toRows(b, fn, 'b');
  if (rowsA.length !== rowsB.length || rowsA[0]!.length !== rowsB[0]!.length) {
    throw new ShapeMismatchError(`${fn}: a is ${rowsA.length}×${rowsA[0]!.length}, b is ${rowsB.length}×${rowsB[0]!.length}`);
  }
  const out = new Float64Array(rowsA.length);
  for (let i = 0; i < rowsA.length; i++) {
    const x = normalizeRow(rowsA[i]!);
    const y = normalizeRow(rowsB[i]!);
    let s = 0;
    for (let j = 0; j < x.length; j++) {
      const diff = x[j]! - y[j]!;
      s += diff * diff;
    }
    out[i] = s;
  }
  return out;
}

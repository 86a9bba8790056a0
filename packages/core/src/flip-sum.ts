import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from './errors';
import { l2Normalize } from './normalize';
import { normalizeRow } from './normalize-row';
import { toRows } from './validate';

/**
 * insightface's "Accuracy-Flip" embedding: the embedding of an image plus that of its
 * horizontal mirror, summed and then L2-normalised row by row. (Normalising before summing would
 * weight the two views by their norms differently; the published protocol sums raw outputs.)
 *
 * Number rows give number rows (float64); tensors [N, D] give a tensor [N, D].
 *
 * @example
 * flipSumEmbeddings([[3, 0]], [[0, 4]]) // [[0.6, 0.8]]
 */
export function flipSumEmbeddings(e: ReadonlyArray<ArrayLike<number>>, eFlipped: ReadonlyArray<ArrayLike<number>>): number[][];
export function flipSumEmbeddings(e: tf.Tensor2D, eFlipped: tf.Tensor2D): tf.Tensor2D;
export function flipSumEmbeddings(
  e: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
  eFlipped: tf.Tensor2D | ReadonlyArray<ArrayLike<number>>,
): number[][] | tf.Tensor2D {
  const fn = 'flipSumEmbeddings';
  if (e instanceof tf.Tensor || eFlipped instanceof tf.Tensor) {
    if (!(e instanceof tf.Tensor && eFlipped instanceof tf.Tensor)) throw new ShapeMismatchError(`${fn}: pass two tensors or two arrays of rows, not one of each`);
    if (e.rank !== 2 || e.shape.join() !== eFlipped.shape.join()) {
      throw new ShapeMismatchError(`${fn}: e has shape [${e.shape}], eFlipped has shape [${eFlipped.shape}]; expected two equal [N, D]`);
    }
    return tf.tidy(() => l2Normalize(tf.add(e, eFlipped) as tf.Tensor2D));
  }
  const a = toRows(e, fn, 'e');
  const b = toRows(eFlipped, fn, 'eFlipped');
  if (a.length !== b.length || a[0]!.length !== b[0]!.length) {
    throw new ShapeMismatchError(`${fn}: e is ${a.length}×${a[0]!.length}, eFlipped is ${b.length}×${b[0]!.length}`);
  }
  return a.map((row, i) => Array.from(normalizeRow(row.map((v, j) => v + b[i]![j]!))));
}

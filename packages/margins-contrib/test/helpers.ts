import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { type Matrix, numericGradient } from './float64-reference';

/** A tensor's values as nested arrays (read outside any tidy). */
export function toMatrix(t: tf.Tensor): Matrix {
  return t.arraySync() as Matrix;
}

/** Asserts |actual − expected| ≤ tol element-wise, naming the first offending element. */
export function expectMatrixClose(actual: Matrix, expected: Matrix, tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i] as number[];
    expect(row.length).toBe(want.length);
    row.forEach((value, j) => {
      const diff = Math.abs(value - (want[j] as number));
      if (!(diff <= tol)) {
        throw new Error(`element [${i}, ${j}]: ${value} vs float64 ${want[j]} (|diff| ${diff} > ${tol})`);
      }
    });
  });
}

/**
 * Compares tfjs' gradient of Σ W ⊙ logits(c) / s with central differences of the float64
 * reference: the backward pass against the formula, not against itself.
 */
export function expectGradientMatches(
  logits: (c: tf.Tensor2D) => tf.Tensor2D,
  reference: (c: Matrix) => Matrix,
  cos: Matrix,
  weights: Matrix,
  s: number,
  tol: number,
): void {
  const w = tf.tensor2d(weights);
  const c = tf.tensor2d(cos);
  const grad = tf.grad((x: tf.Tensor) => tf.div(tf.sum(tf.mul(logits(x as tf.Tensor2D), w)), s))(c);
  const actual = toMatrix(grad);
  tf.dispose([w, c, grad]);
  const expected = numericGradient(
    (x) => reference(x).reduce((acc, row, i) => acc + row.reduce((a, z, j) => a + (z * ((weights[i] as number[])[j] as number)) / s, 0), 0),
    cos,
  );
  expectMatrixClose(actual, expected, tol);
}

import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize } from './normalize';
import { ShapeMismatchError } from './errors';

/**
 * How far inside [-1, 1] `safeAcos` clamps its argument for the *gradient*. d acos(c)/dc =
 * −1/√(1−c²) is infinite at ±1; at 1 − 1e-7 it is about −2236, finite in float32.
 */
export const ACOS_GRADIENT_EPSILON = 1e-7;

/**
 * acos with a finite gradient everywhere. The value is acos(clip(c, −1, 1)) exactly (so
 * θ = 0 and θ = π are reachable), while the gradient is −1/√(1 − c²) evaluated at c clipped
 * to [−1 + ε, 1 − ε]: finite, and equal to the true derivative wherever that exists.
 */
export function safeAcos<T extends tf.Tensor>(c: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const clipped = tf.clipByValue(x, -1, 1);
    save([x]);
    return {
      value: tf.acos(clipped),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [input] = saved as [tf.Tensor];
        const inner = tf.clipByValue(input, -1 + ACOS_GRADIENT_EPSILON, 1 - ACOS_GRADIENT_EPSILON);
        const slope = tf.neg(tf.rsqrt(tf.sub(1, tf.square(inner))));
        // Past ±1 the clip makes the value constant, so the gradient there is zero.
        const inside = tf.logicalAnd(tf.greaterEqual(input, -1), tf.lessEqual(input, 1));
        return tf.mul(dy, tf.where(inside, slope, tf.zerosLike(slope)));
      },
    };
  });
  return op(c) as T;
}

/**
 * Cosine similarities between the rows of `a` [N, D] and the rows of `b` [M, D] → [N, M].
 * Both are L2-normalised first. `b` holds class centres as rows, as insightface does.
 */
export function cosineMatrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] !== b.shape[1]) {
    throw new ShapeMismatchError(
      `cosineMatrix: rows of a have ${a.shape[1]} dimensions, rows of b have ${b.shape[1]}`,
    );
  }
  return tf.tidy(() => tf.matMul(l2Normalize(a), l2Normalize(b), false, true));
}

/** Angles θ in radians between the rows of `a` and `b` → [N, M], in [0, π]. */
export function angleMatrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => safeAcos(cosineMatrix(a, b)));
}

/** Radians to degrees. */
export function toDegrees(radians: number): number {
  return (radians * 180) / Math.PI;
}

import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, safeAcos } from '@arcface/core';

/**
 * `x` in the forward pass, no gradient in the backward pass (torch's `.detach()`). tfjs-core has
 * no stop-gradient op, so a custom gradient returns zeros.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(x) as T;
}

/**
 * `value` in the forward pass, the gradient of `through` in the backward pass:
 * through + detach(value − through). arcface_torch's straight-through margin.
 */
export function straightThrough<T extends tf.Tensor>(value: T, through: T): T {
  return tf.add(through, detach(tf.sub(value, through))) as T;
}

/** Checks cosines [B, C] against labels [B]; `columnsPerClass` > 1 for sub-centres. */
export function checkLogitInputs(margin: string, cosines: tf.Tensor, labels: tf.Tensor, columnsPerClass = 1): void {
  if (cosines.rank !== 2) {
    throw new ShapeMismatchError(`${margin}: cosines must be [B, C], got shape [${cosines.shape.join(', ')}]`);
  }
  if (labels.rank !== 1 || labels.shape[0] !== cosines.shape[0]) {
    throw new ShapeMismatchError(
      `${margin}: labels must be [B] with B = ${cosines.shape[0]}, got shape [${labels.shape.join(', ')}]`,
    );
  }
  const columns = cosines.shape[1] as number;
  if (columns % columnsPerClass !== 0) {
    throw new ShapeMismatchError(
      `${margin}: ${columns} cosine columns are not a whole number of classes of ${columnsPerClass} sub-centres`,
    );
  }
}

/** The float32 one-hot mask [B, C] of `labels` (cast to int32 first, as `tf.oneHot` requires). */
export function targetMask(labels: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ints = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    return tf.cast(tf.oneHot(ints, numClasses), 'float32') as tf.Tensor2D;
  });
}

/** cos θ_y of each row: Σ_j mask · cos. Differentiable, unlike a gather without gradients. */
export function targetCosines(cosines: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(cosines, mask), 1) as tf.Tensor1D;
}

/**
 * Puts `targets` [B] in place of the target column: cos + mask · (t − cos θ_y) (the one-hot form
 * the mxnet code uses, so the gradient reaches both).
 */
export function replaceTargets(cosines: tf.Tensor2D, mask: tf.Tensor2D, targets: tf.Tensor1D, cosTarget: tf.Tensor1D): tf.Tensor2D {
  return tf.add(cosines, tf.mul(mask, tf.expandDims(tf.sub(targets, cosTarget), 1))) as tf.Tensor2D;
}

/**
 * 1 where x > threshold, else 0 (float32), built from `sign` and `relu`. tfjs registers no
 * gradient for comparison kernels (`Greater`), so a `tf.where` whose condition depends on the
 * input cannot be differentiated; this mask has a zero gradient instead.
 */
export function greaterMask(x: tf.Tensor, threshold: number | tf.Tensor): tf.Tensor {
  return tf.relu(tf.sign(tf.sub(x, threshold)));
}

/** mask ? a : b for a 0/1 float mask, as b + mask·(a − b): differentiable in a and b. */
export function select<T extends tf.Tensor>(mask: tf.Tensor, a: tf.Tensor, b: tf.Tensor): T {
  return tf.add(b, tf.mul(mask, tf.sub(a, b))) as T;
}

/** The margin families' shared boundary handling, for an additive angular margin cos(θ + m). */
export type AngularBoundary = 'none' | 'easy' | 'thmm';

/**
 * cos(θ + m) for target cosines `c` [B] and margins `m` (a number or [B]), with a boundary:
 * - `none`: cos(θ + m) everywhere (the paper);
 * - `easy`: cos(θ + m) where cos θ > 0, else cos θ (MagFace's default, `easy_margin`);
 * - `thmm`: cos(θ + m) where cos θ > cos(π − m), else cos θ − m·sin m (insightface 2022,
 *   pytorch-metric-learning, CurricularFace).
 * θ comes from `safeAcos`, so the derivative stays finite at θ = 0 and θ = π.
 */
export function additiveAngularTarget(c: tf.Tensor1D, m: number | tf.Tensor1D, boundary: AngularBoundary): tf.Tensor1D {
  return tf.tidy(() => {
    const theta = safeAcos(c);
    const shifted = tf.cos(tf.add(theta, m)) as tf.Tensor1D;
    if (boundary === 'none') return shifted;
    if (boundary === 'easy') return select<tf.Tensor1D>(greaterMask(c, 0), shifted, c);
    const threshold = tf.cos(tf.sub(Math.PI, m));
    const fallback = tf.sub(c, tf.mul(m, tf.sin(m)));
    return select<tf.Tensor1D>(greaterMask(c, threshold), shifted, fallback);
  });
}

/**
 * cos(θ + m) with a boundary, in float64, θ in radians: 'none' (the paper), 'easy' (cos θ where
 * cos θ ≤ 0), 'thmm' (cos θ − m·sin m where cos θ ≤ cos(π − m)). The curve the ArcFace-based
 * margins here share.
 *
 * @example
 * ```ts
 * import { additiveAngularTargetScalar } from '@arcface/margins-contrib';
 * console.log(additiveAngularTargetScalar(3, 0.5, 'thmm')); // cos 3 − 0.5·sin 0.5 ≈ −1.2297
 * ```
 */
export function additiveAngularTargetScalar(theta: number, m: number, boundary: AngularBoundary): number {
  const c = Math.cos(theta);
  if (boundary === 'easy' && !(c > 0)) return c;
  if (boundary === 'thmm' && !(c > Math.cos(Math.PI - m))) return c - m * Math.sin(m);
  return Math.cos(theta + m);
}

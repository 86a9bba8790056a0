import * as tf from '@tensorflow/tfjs-core';

/**
 * Smallest squared norm divided by, as `l2Normalize` in @arcface/core: x / max(‖x‖, 1e-12).
 */
const MIN_SQUARED_NORM = 1e-24;

/**
 * Kernels a backend may register to do the normalisation and its gradient in one pass per row
 * (`@arcface/backend` does on wasm, natively); elsewhere the same formulas run as tfjs ops.
 */
const ROW_NORMALIZE = 'ArcfaceRowNormalize';
const ROW_NORMALIZE_GRADIENT = 'ArcfaceRowNormalizeGradient';

/** Rows scaled to unit length, with what the closed-form backward pass needs. */
export interface NormalizedRows {
  /** x / max(‖x‖, 1e-12), [N, D]. */
  readonly unit: tf.Tensor2D;
  /** 1 / max(‖x‖, 1e-12), [N, 1]. */
  readonly inverseNorm: tf.Tensor2D;
  /** 1 where the norm was above the clamp (the projection term applies), else 0, [N, 1]. */
  readonly unclamped: tf.Tensor2D;
  /** ‖x‖, [N]. */
  readonly norm: tf.Tensor1D;
}

/**
 * Whether `kernel` can serve now: registered for the active backend, float32 inputs, and no
 * tape recording (the fused kernels have no gradient). Inside a `customGrad` (forward or
 * backward) nothing is taped; under autodiff (`marginLogits`, a second-order gradient) the
 * tfjs ops run instead, so every caller stays differentiable.
 */
function fusedKernel(kernel: string, inputs: readonly tf.Tensor[]): boolean {
  const state = tf.engine().state;
  const taped = state.gradientDepth > 0 && state.kernelDepth === 0;
  return !taped && inputs.every((t) => t.dtype === 'float32') && tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** Normalises the rows of `x` [N, D] (no tidy: call inside one). */
export function normalizeRows(x: tf.Tensor2D): NormalizedRows {
  if (fusedKernel(ROW_NORMALIZE, [x])) {
    const [unit, inverseNorm, unclamped, norm] = tf.engine().runKernel(ROW_NORMALIZE, { x }) as tf.Tensor[];
    return { unit: unit as tf.Tensor2D, inverseNorm: inverseNorm as tf.Tensor2D, unclamped: unclamped as tf.Tensor2D, norm: norm as tf.Tensor1D };
  }
  const squared = tf.sum(tf.square(x), 1, true);
  const inverseNorm = tf.rsqrt(tf.maximum(squared, MIN_SQUARED_NORM)) as tf.Tensor2D;
  return {
    unit: tf.mul(x, inverseNorm) as tf.Tensor2D,
    inverseNorm,
    unclamped: tf.cast(tf.greater(squared, MIN_SQUARED_NORM), 'float32') as tf.Tensor2D,
    norm: tf.sqrt(tf.reshape(squared, [-1])) as tf.Tensor1D,
  };
}

/**
 * The gradient with respect to x of a loss whose gradient with respect to x̂ = x/‖x‖ is `g`,
 * times `scale` (a scalar tensor: a loss's dy·s/B, applied here rather than to a matrix of its
 * own): scale·(g − x̂·(x̂·g)) / ‖x‖, the projection onto the tangent plane of the sphere. Where
 * the norm was clamped, x̂ = x/1e-12 is linear in x and the gradient is scale·g/1e-12.
 */
export function normalizeRowsBackward(
  unit: tf.Tensor2D,
  inverseNorm: tf.Tensor2D,
  unclamped: tf.Tensor2D,
  g: tf.Tensor2D,
  scale?: tf.Tensor,
): tf.Tensor2D {
  if (scale !== undefined && fusedKernel(ROW_NORMALIZE_GRADIENT, [unit, inverseNorm, unclamped, g, scale])) {
    return tf.engine().runKernel(ROW_NORMALIZE_GRADIENT, { unit, inverse: inverseNorm, unclamped, dy: g, scale }) as tf.Tensor2D;
  }
  const projection = tf.mul(tf.sum(tf.mul(unit, g), 1, true), unclamped);
  const factor = scale === undefined ? inverseNorm : tf.mul(inverseNorm, scale);
  return tf.mul(tf.sub(g, tf.mul(unit, projection)), factor) as tf.Tensor2D;
}

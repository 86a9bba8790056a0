import * as tf from '@tensorflow/tfjs-core';
import { cosineMatrix } from './cosine-matrix';
import { normalizeRows, normalizeRowsBackward } from './row-normalization';

/**
 * Cosines between the L2-normalised rows of `x` [B, D] and of `w` [C, D] → [B, C], as one
 * `tf.customGrad` with a closed-form backward pass (no gradient registry needed):
 * dx̂ = G·Ŵ, dŴ = Gᵀ·x̂, then the projection of each row onto its sphere's tangent plane.
 */
export function normalizedCosines(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const xs = normalizeRows(a);
    const ws = normalizeRows(b);
    save([xs.unit, xs.inverseNorm, xs.unclamped, ws.unit, ws.inverseNorm, ws.unclamped]);
    return {
      value: cosineMatrix(xs.unit, ws.unit),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xUnit, xInverse, xUnclamped, wUnit, wInverse, wUnclamped] = saved as tf.Tensor2D[] as [
          tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
        ];
        const g = dy as tf.Tensor2D;
        return [
          normalizeRowsBackward(xUnit, xInverse, xUnclamped, tf.matMul(g, wUnit)),
          normalizeRowsBackward(wUnit, wInverse, wUnclamped, tf.matMul(g, xUnit, true, false)),
        ];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}

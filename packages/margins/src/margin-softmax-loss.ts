import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyBackward, crossEntropyForward } from './cross-entropy';
import { GradientsNotRegisteredError } from './errors';
import { checkLossInputs } from './loss-inputs';
import type { MarginContext, MarginFn } from './margin-fn';
import { normalizeRows, normalizeRowsBackward } from './row-normalization';

/** The context the losses take: the margin's context plus input checking. */
export interface MarginLossContext extends Omit<MarginContext, 'featureNorms'> {
  /**
   * Check label range and NaN/Infinity in the inputs [true]. It costs one synchronous read of
   * four numbers per call; turn it off where synchronous reads stall (WebGL, WebGPU).
   */
  readonly validate?: boolean;
}

/**
 * Whether `margin` takes the closed-form path: it has a tensor `target` (and, in exact mode,
 * a `targetGradient`) and no regulariser. Such margins train with no tfjs gradient registry.
 */
export function hasClosedFormGradient(margin: MarginFn): boolean {
  return (
    typeof margin.target === 'function' &&
    (margin.gradient === 'straight-through' || typeof margin.targetGradient === 'function')
  );
}

/**
 * The margin softmax loss: L2-normalise embeddings [B, D] and class centres [C, D] (rows, as
 * insightface), form cosines c = x̂·Ŵᵀ, apply the margin to get logits, and take the mean
 * softmax cross-entropy against int32 `labels` [B]. Stable at s = 64.
 *
 * For margins with a tensor `target` (+ `targetGradient` in exact mode) — every built-in —
 * the whole loss is one `tf.customGrad` with a closed-form backward pass:
 * dL/dlogits = (softmax − onehot)/B, through the margin's derivative on the target column,
 * the cosine matMul and the normalisation. `tf.grad` then works with nothing but
 * `@tensorflow/tfjs-core` and a backend: no gradient registry. Other margins (a general
 * `logits`) are differentiated by tfjs autodiff, which needs `@tensorflow/tfjs` or
 * `@tensorflow/tfjs-layers` loaded; without it the backward pass throws
 * {@link GradientsNotRegisteredError}.
 *
 * The feature norms ‖x‖ reach the margin as `context.featureNorms`. Bad input throws a typed
 * error: shapes (`ShapeMismatchError`, `InvalidArgumentError`), labels (`InvalidLabelsError`),
 * NaN or Infinity (`NonFiniteInputError`).
 *
 * @example
 * const margin = createMargin('additive-angular', { m: 0.5, s: 64 });
 * const loss = marginSoftmaxLoss(embeddings, centers, labels, margin, { step });
 * const [dx, dW] = tf.grads((x, w) => marginSoftmaxLoss(x, w, labels, margin))([embeddings, centers]);
 */
export function marginSoftmaxLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: MarginLossContext = {},
): tf.Scalar {
  checkLossInputs('marginSoftmaxLoss', embeddings, centers, labels, context.validate ?? true);
  const closedForm = hasClosedFormGradient(margin);
  const straightThrough = margin.gradient === 'straight-through';
  const scale = margin.scale;
  const baseContext: MarginContext = { step: context.step ?? 0, training: context.training ?? false };
  const classes = centers.shape[0];

  const lossOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor2D;
    const w = args[1] as tf.Tensor2D;
    const save = args[2] as tf.GradSaveFunc;
    const xs = normalizeRows(x);
    const ws = normalizeRows(w);
    // An explicit transpose and a plain matMul: wasm's transposeB path is several times slower.
    const cosines = tf.matMul(xs.unit, tf.transpose(ws.unit)) as tf.Tensor2D;
    const onehot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
    const marginContext: MarginContext = { ...baseContext, featureNorms: xs.norm };

    let logits: tf.Tensor2D;
    let slope: tf.Tensor = tf.scalar(1);
    if (closedForm) {
      const target = margin.target as NonNullable<MarginFn['target']>;
      const cosTarget = tf.sum(tf.mul(cosines, onehot), 1) as tf.Tensor1D;
      const shift = tf.reshape(tf.sub(target(cosTarget, marginContext), cosTarget), [-1, 1]);
      // s·c everywhere, s·t(c_y) on the target column
      logits = tf.mul(tf.add(cosines, tf.mul(onehot, shift)), scale) as tf.Tensor2D;
      if (!straightThrough) slope = (margin.targetGradient as NonNullable<MarginFn['targetGradient']>)(cosTarget, marginContext);
    } else {
      logits = margin.logits(cosines, labels, marginContext);
    }
    const { loss, logSumExp } = crossEntropyForward(logits, onehot);
    // The cosines are needed again only to differentiate a general `logits`.
    save([xs.unit, xs.inverseNorm, xs.unclamped, xs.norm, ws.unit, ws.inverseNorm, ws.unclamped, logits, logSumExp, slope, ...(closedForm ? [] : [cosines])]);

    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xUnit, xInverse, xUnclamped, xNorm, wUnit, wInverse, wUnclamped, savedLogits, savedLse, savedSlope, savedCos] =
          saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor, tf.Tensor2D | undefined];
        const hot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
        const dLogits = crossEntropyBackward(savedLogits, savedLse, hot, dy);
        let dCos: tf.Tensor2D;
        if (closedForm) {
          // dL/dc = s·G off target, s·G_y·dt/dc on it: G + onehot·G_y·(dt/dc − 1)
          const targetGrad = tf.sum(tf.mul(dLogits, hot), 1);
          const correction = tf.reshape(tf.mul(targetGrad, tf.sub(savedSlope, 1)), [-1, 1]);
          dCos = tf.mul(tf.add(dLogits, tf.mul(hot, correction)), scale) as tf.Tensor2D;
        } else {
          dCos = logitsBackward(margin, savedCos as tf.Tensor2D, labels, { ...baseContext, training: false, featureNorms: xNorm }, dLogits);
        }
        const dxUnit = tf.matMul(dCos, wUnit) as tf.Tensor2D;
        const dwUnit = tf.matMul(tf.transpose(dCos), xUnit) as tf.Tensor2D;
        return [
          normalizeRowsBackward(xUnit, xInverse, xUnclamped, dxUnit),
          normalizeRowsBackward(wUnit, wInverse, wUnclamped, dwUnit),
        ];
      },
    };
  });

  const regularizer = margin.regularizer?.bind(margin);
  return tf.tidy(() => {
    const loss = lossOp(embeddings, centers) as tf.Scalar;
    if (regularizer === undefined) return loss;
    // The regulariser sees ‖x‖ with its gradient (MagFace pulls on the norms).
    const featureNorms = tf.sqrt(tf.sum(tf.square(embeddings), 1)) as tf.Tensor1D;
    return tf.add(loss, regularizer({ ...baseContext, featureNorms })) as tf.Scalar;
  });
}

/**
 * dL/dcos through a margin's general `logits`, by tfjs autodiff on a recomputation (run with
 * `training: false`, so running statistics update once per step).
 */
function logitsBackward(
  margin: MarginFn,
  cosines: tf.Tensor2D,
  labels: tf.Tensor1D,
  context: MarginContext,
  upstream: tf.Tensor2D,
): tf.Tensor2D {
  try {
    return tf.grad((c: tf.Tensor) => margin.logits(c as tf.Tensor2D, labels, context))(cosines, upstream) as tf.Tensor2D;
  } catch (error) {
    if (isMissingGradient(error)) {
      throw new GradientsNotRegisteredError(`the gradient of margin '${margin.name}'`, { cause: error });
    }
    throw error;
  }
}

/** tfjs' message when a kernel has no registered gradient function. */
export function isMissingGradient(error: unknown): boolean {
  return error instanceof Error && /gradient function not found/i.test(error.message);
}

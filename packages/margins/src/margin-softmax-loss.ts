import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyBackward, crossEntropyForward, crossEntropyLoss } from './cross-entropy';
import { GradientsNotRegisteredError } from './errors';
import { checkLossInputs } from './loss-inputs';
import type { MarginContext, MarginFn } from './margin-fn';
import { normalizeRows, normalizeRowsBackward } from './row-normalization';
import { normalizedCosines } from './normalized-cosines';

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
  const baseContext: MarginContext = { step: context.step ?? 0, training: context.training ?? false };

  const regularizer = margin.regularizer?.bind(margin);
  return tf.tidy(() => {
    const loss = closedForm
      ? closedFormLoss(embeddings, centers, labels, margin, baseContext)
      : autodiffLoss(embeddings, centers, labels, margin, baseContext);
    if (regularizer === undefined) return loss;
    // The regulariser sees ‖x‖ with its gradient (MagFace pulls on the norms).
    const featureNorms = tf.sqrt(tf.sum(tf.square(embeddings), 1)) as tf.Tensor1D;
    return tf.add(loss, regularizer({ ...baseContext, featureNorms })) as tf.Scalar;
  });
}

/** The whole loss as one customGrad: the margin's own derivative on the target column. */
function closedFormLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  baseContext: MarginContext,
): tf.Scalar {
  const straightThrough = margin.gradient === 'straight-through';
  const scale = margin.scale;
  const classes = centers.shape[0];
  const target = (margin.target as NonNullable<MarginFn['target']>).bind(margin);
  const targetGradient = margin.targetGradient?.bind(margin);

  const lossOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const xs = normalizeRows(x);
    const ws = normalizeRows(w);
    // An explicit transpose and a plain matMul: wasm's transposeB path is several times slower.
    const cosines = tf.matMul(xs.unit, tf.transpose(ws.unit)) as tf.Tensor2D;
    const onehot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
    const context: MarginContext = { ...baseContext, featureNorms: xs.norm };
    const cosTarget = tf.sum(tf.mul(cosines, onehot), 1) as tf.Tensor1D;
    const shift = tf.reshape(tf.sub(target(cosTarget, context), cosTarget), [-1, 1]);
    // s·c everywhere, s·t(c_y) on the target column
    const logits = tf.mul(tf.add(cosines, tf.mul(onehot, shift)), scale) as tf.Tensor2D;
    // Straight-through: dt/dc taken as 1 (arcface_torch).
    const slope = straightThrough || targetGradient === undefined ? tf.scalar(1) : targetGradient(cosTarget, context);
    const { loss, logSumExp } = crossEntropyForward(logits, onehot);
    save([xs.unit, xs.inverseNorm, xs.unclamped, ws.unit, ws.inverseNorm, ws.unclamped, logits, logSumExp, slope]);

    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xUnit, xInverse, xUnclamped, wUnit, wInverse, wUnclamped, savedLogits, savedLse, savedSlope] =
          saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor];
        const hot = tf.cast(tf.oneHot(labels, classes), 'float32') as tf.Tensor2D;
        const dLogits = crossEntropyBackward(savedLogits, savedLse, hot, dy);
        // dL/dc = s·G off target, s·G_y·dt/dc on it: s·(G + onehot·G_y·(dt/dc − 1))
        const targetGrad = tf.sum(tf.mul(dLogits, hot), 1);
        const correction = tf.reshape(tf.mul(targetGrad, tf.sub(savedSlope, 1)), [-1, 1]);
        const dCos = tf.mul(tf.add(dLogits, tf.mul(hot, correction)), scale) as tf.Tensor2D;
        return [
          normalizeRowsBackward(xUnit, xInverse, xUnclamped, tf.matMul(dCos, wUnit)),
          normalizeRowsBackward(wUnit, wInverse, wUnclamped, tf.matMul(tf.transpose(dCos), xUnit)),
        ];
      },
    };
  });
  return lossOp(embeddings, centers) as tf.Scalar;
}

/**
 * A general `logits` margin: closed-form cosines and cross-entropy around the margin's own
 * ops, which tfjs autodiff differentiates. No tidy: call inside one.
 */
function autodiffLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  baseContext: MarginContext,
): tf.Scalar {
  if (tf.engine().state.gradientDepth > 0) probeGradients(margin, baseContext);
  const featureNorms = tf.sqrt(tf.sum(tf.square(embeddings), 1)) as tf.Tensor1D;
  const cosines = normalizedCosines(embeddings, centers);
  return crossEntropyLoss(margin.logits(cosines, labels, { ...baseContext, featureNorms }), labels);
}

/**
 * Inside a gradient computation, differentiates the margin once on a 1×2 input, so that a
 * missing gradient function surfaces now as {@link GradientsNotRegisteredError} rather than
 * later as tfjs' bare "gradient function not found" from the caller's `tf.grad`.
 */
function probeGradients(margin: MarginFn, baseContext: MarginContext): void {
  tf.tidy(() => {
    const labels = tf.tensor1d([0], 'int32');
    const context = { ...baseContext, training: false, featureNorms: tf.ones([1]) as tf.Tensor1D };
    try {
      tf.grad((c: tf.Tensor) => margin.logits(c as tf.Tensor2D, labels, context))(tf.tensor2d([[0.5, -0.25]]));
    } catch (error) {
      if (isMissingGradient(error)) {
        throw new GradientsNotRegisteredError(`the gradient of margin '${margin.name}'`, { cause: error });
      }
      throw error;
    }
  });
}

/** tfjs' message when a kernel has no registered gradient function. */
export function isMissingGradient(error: unknown): boolean {
  return error instanceof Error && /gradient function not found/i.test(error.message);
}

import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss, crossEntropyWithTargets } from './cross-entropy';
import { cosineMatrix, targetIndices } from './cosine-matrix';
import { ShapeMismatchError } from '@arcface/core';
import { GradientsNotRegisteredError, InvalidLabelsError } from './errors';
import { featureNorms } from './feature-norms';
import { checkLossInputs, type LabelRange } from './loss-inputs';
import type { MarginContext, MarginFn } from './margin-fn';
import { normalizeRows, normalizeRowsBackward } from './row-normalization';
import { normalizedCosines } from './normalized-cosines';

/** The context the losses take: the margin's context plus input checking. */
export interface MarginLossContext extends Omit<MarginContext, 'featureNorms'> {
  /**
   * Whether this call is a training step [false]. Margins with running statistics (AdaFace's
   * mean and std of ‖x‖, CurricularFace's t) update them only when `training: true`; any other
   * call (evaluation, validation, a plot) reads them as they are and leaves them unchanged.
   * A trainer passes `true` once per step.
   */
  readonly training?: boolean;
  /**
   * Check label range and NaN/Infinity in the inputs [true]. It costs one synchronous read of
   * four numbers per call; turn it off where synchronous reads stall (WebGL, WebGPU).
   */
  readonly validate?: boolean;
}

/**
 * Whether `margin` takes the closed-form path: it has a tensor `target` and, in exact mode, a
 * `targetGradient`. Such margins train with no tfjs gradient registry (a regulariser, if any,
 * is differentiated by autodiff and needs it for its own ops).
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
 * `@tensorflow/tfjs-core` and a backend: no gradient registry. There the target may read
 * `featureNorms`, as constants: dt/dc is the only derivative taken.
 *
 * Other margins (a general `logits`) are differentiated by tfjs autodiff, which needs
 * `@tensorflow/tfjs` or `@tensorflow/tfjs-layers` loaded for the margin's own ops; without it
 * the backward pass throws {@link GradientsNotRegisteredError}. Their logits may have fewer
 * columns than `centers` has rows (Sub-center ArcFace maps [B, C·K] cosines to [B, C]): the
 * cross-entropy runs over the logits' columns and the labels are checked against them. Their
 * `featureNorms` carry a gradient: a margin whose logits depend on ‖x‖ (MagFace's m(‖x‖))
 * adds dL/d‖x‖ · x̂ to dL/dx; one that detaches the norms (AdaFace) adds nothing.
 *
 * A margin's `regularizer` (MagFace) is added to the loss, with the norms' gradient. Bad input
 * throws a typed error: shapes (`ShapeMismatchError`, `InvalidArgumentError`), labels
 * (`InvalidLabelsError`), NaN or Infinity (`NonFiniteInputError`).
 *
 * @example
 * const margin = createMargin('additive-angular', { m: 0.5, s: 64 });
 * const loss = marginSoftmaxLoss(embeddings, centers, labels, margin, { step, training: true });
 * const [dx, dW] = tf.grads((x, w) => marginSoftmaxLoss(x, w, labels, margin))([embeddings, centers]);
 */
export function marginSoftmaxLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: MarginLossContext = {},
): tf.Scalar {
  const labelRange = checkLossInputs('marginSoftmaxLoss', embeddings, centers, labels, context.validate ?? true);
  const closedForm = hasClosedFormGradient(margin);
  const baseContext: MarginContext = { step: context.step ?? 0, training: context.training ?? false };

  const regularizer = margin.regularizer?.bind(margin);
  return tf.tidy(() => {
    // ‖x‖ with its gradient, shared by the general logits and the regulariser.
    const norms = closedForm && regularizer === undefined ? undefined : featureNorms(embeddings);
    const loss = closedForm
      ? closedFormLoss(embeddings, centers, labels, margin, baseContext)
      : generalLoss(embeddings, centers, labels, margin, { ...baseContext, featureNorms: norms }, labelRange);
    if (regularizer === undefined) return loss;
    return tf.add(loss, regularizer({ ...baseContext, featureNorms: norms })) as tf.Scalar;
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
  const target = (margin.target as NonNullable<MarginFn['target']>).bind(margin);
  const targetGradient = margin.targetGradient?.bind(margin);

  const lossOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const xs = normalizeRows(x);
    const ws = normalizeRows(w);
    // The target column is touched through [B] gathers and scatters, never through a one-hot
    // [B, C] matrix: at C = 100k each full pass over the logits costs as much as the rest.
    const at = targetIndices(labels);
    const cosines = cosineMatrix(xs.unit, ws.unit);
    const context: MarginContext = { ...baseContext, featureNorms: xs.norm };
    const cosTarget = tf.gatherND(cosines, at) as tf.Tensor1D;
    const targetLogits = tf.mul(target(cosTarget, context), scale) as tf.Tensor1D;
    // s·c everywhere, s·t(c_y) on the target column
    const logits = tf.tensorScatterUpdate(tf.mul(cosines, scale), at, targetLogits) as tf.Tensor2D;
    // Straight-through: dt/dc taken as 1 (arcface_torch).
    const slope = straightThrough || targetGradient === undefined ? tf.ones([labels.shape[0]]) : targetGradient(cosTarget, context);
    const { loss, probabilities } = crossEntropyWithTargets(logits, targetLogits);
    save([xs.unit, xs.inverseNorm, xs.unclamped, ws.unit, ws.inverseNorm, ws.unclamped, probabilities, slope, at]);

    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xUnit, xInverse, xUnclamped, wUnit, wInverse, wUnclamped, p, savedSlope, savedAt] =
          saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
        // dL/dc = k·p off target and k·(p_y − 1)·dt/dc on it, k = s·dy/B. k is applied with the
        // normalisation's gradient, to the [B, D] and [C, D] results, not to the [B, C] matrix.
        const k = tf.mul(dy, scale / labels.shape[0]);
        const onTarget = tf.mul(tf.sub(tf.gatherND(p, savedAt), 1), savedSlope);
        const g = tf.tensorScatterUpdate(p, savedAt, onTarget) as tf.Tensor2D;
        return [
          normalizeRowsBackward(xUnit, xInverse, xUnclamped, tf.matMul(g, wUnit), k),
          normalizeRowsBackward(wUnit, wInverse, wUnclamped, tf.matMul(g, xUnit, true, false), k),
        ];
      },
    };
  });
  return lossOp(embeddings, centers) as tf.Scalar;
}

/**
 * A general `logits` margin: closed-form cosines, norms and cross-entropy around the margin's
 * own ops, which tfjs autodiff differentiates. The tape sums both ways x reaches the loss:
 * through x̂ (the cosines) and through ‖x‖ (`context.featureNorms`, whose gradient is x̂).
 * No tidy: call inside one.
 */
function generalLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  margin: MarginFn,
  context: MarginContext,
  labelRange: LabelRange | undefined,
): tf.Scalar {
  const cosines = normalizedCosines(embeddings, centers);
  if (tf.engine().state.gradientDepth > 0 && !differentiable.has(margin)) {
    probeGradients(margin, cosines, labels, context);
    differentiable.add(margin);
  }
  const logits = margin.logits(cosines, labels, context);
  checkLogits(margin, logits, embeddings.shape[0], labelRange);
  // The one-hot and the class count come from the logits, not from the centre rows.
  return crossEntropyLoss(logits, labels);
}

/** Logits [B, C'] as the cross-entropy needs them, and labels inside their C' columns. */
function checkLogits(margin: MarginFn, logits: tf.Tensor, batch: number, labelRange: LabelRange | undefined): void {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2 || logits.shape[0] !== batch || (logits.shape[1] as number) < 1) {
    const shape = logits instanceof tf.Tensor ? `[${logits.shape.join(', ')}]` : typeof logits;
    throw new ShapeMismatchError(
      `marginSoftmaxLoss: margin '${margin.name}' returned logits of shape ${shape}, expected [${batch}, C] with C ≥ 1`,
    );
  }
  const columns = logits.shape[1] as number;
  if (labelRange !== undefined && labelRange.high >= columns) {
    throw new InvalidLabelsError(
      `marginSoftmaxLoss: label ${labelRange.high} is outside [0, ${columns}) for the ${columns} logit columns ` +
        `margin '${margin.name}' returns`,
    );
  }
}

/** Margins whose gradient was probed successfully: the gradient registry only grows. */
const differentiable = new WeakSet<MarginFn>();

/**
 * Inside a gradient computation, differentiates the margin once on the batch's first row, so
 * that a missing gradient function surfaces now as {@link GradientsNotRegisteredError} rather
 * than later as tfjs' bare "gradient function not found" from the caller's `tf.grad`. The row
 * keeps the real width (a sub-centre margin needs C·K columns); `training: false` leaves
 * running statistics alone.
 */
function probeGradients(margin: MarginFn, cosines: tf.Tensor2D, labels: tf.Tensor1D, context: MarginContext): void {
  tf.tidy(() => {
    const row = tf.slice(cosines, [0, 0], [1, -1]) as tf.Tensor2D;
    const label = tf.slice(labels, [0], [1]) as tf.Tensor1D;
    const norms = context.featureNorms === undefined ? undefined : (tf.slice(context.featureNorms, [0], [1]) as tf.Tensor1D);
    const probeContext: MarginContext = { ...context, training: false, featureNorms: norms };
    try {
      // With respect to the cosines only: a margin may ignore the norms, and tf.grad refuses an
      // input that does not reach the output. A missing registry shows on either path.
      tf.grad((c: tf.Tensor) => margin.logits(c as tf.Tensor2D, label, probeContext))(row);
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

import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from '@arcface/margins';
import type { MarginFn } from '@arcface/margins';
import { InvalidArgumentError, ShapeMismatchError, cosineMatrix } from '@arcface/core';
import { checkNumber, checkPositive } from './options';
import { checkLogitInputs, targetMask } from './tensor-ops';

/** UniFace's own options and their defaults (`CVI-SZU/UniFace/head.py`). */
export const UNIFACE_DEFAULTS = {
  /** Cosine margin m on the positive term. */
  m: 0.4,
  /** Weight λ of the negative terms. */
  lambda: 1,
  /** The ratio r in the starting bias b₀ = log(C·r·10). */
  r: 1,
};

/**
 * UniFace's starting bias b₀ = log(C·r·10) for C classes: the value `head.py` initialises its
 * learnable bias with.
 *
 * @example
 * ```ts
 * import { uniFaceInitialBias } from '@arcface/margins-contrib';
 * uniFaceInitialBias(1000); // log(10000) ≈ 9.21
 * ```
 */
export function uniFaceInitialBias(numClasses: number, r = 1): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new InvalidArgumentError(`uniFaceInitialBias: numClasses must be an integer ≥ 1, got ${numClasses}`);
  }
  if (!(r > 0) || !Number.isFinite(r)) throw new InvalidArgumentError(`uniFaceInitialBias: r must be a finite number > 0, got ${r}`);
  return Math.log(numClasses * r * 10);
}

/**
 * The UniFace margin: target s·(cos θ_y − m), the others s·cos θ_j — the logits UniFace's loss
 * starts from. UniFace is **not** a softmax loss: given to `marginSoftmaxLoss` this margin trains
 * as CosFace with m. Train with {@link unifiedCrossEntropy} (on these logits) or
 * {@link uniFaceLoss} (from embeddings and centres) to get UniFace itself. Its target curve
 * cos θ − m satisfies every law `checkMargin` checks.
 *
 * @example
 * ```ts
 * import { uniFace } from '@arcface/margins-contrib';
 * console.log(uniFace().targetLogit(0)); // 1 − 0.4 = 0.6
 * ```
 */
export const uniFace = defineMargin({
  name: 'uniface',
  defaults: UNIFACE_DEFAULTS,
  validate(o, fail) {
    checkNumber(fail, 'm', o.m, 0, 2);
    checkNumber(fail, 'lambda', o.lambda, 0, Number.MAX_VALUE);
    checkPositive(fail, 'r', o.r);
  },
  setup({ m }) {
    return {
      targetLogit: (theta) => Math.cos(theta) - m,
      targetDerivative: () => 1,
      // t = c − m: the tensor form and its derivative, so the loss can use its closed form.
      target: (c) => tf.sub(c, m) as tf.Tensor1D,
      targetGradient: (c) => tf.onesLike(c),
    };
  },
});

/**
 * UniFace's unified cross-entropy on scaled logits z [B, C] (target column s·(cos θ_y − m), the
 * others s·cos θ_j, as {@link uniFace} makes them) with bias b:
 *
 *   L = mean over the batch of [ log(1 + e^{−clip(z_y − b, −s, s)}) + λ·Σ_{j≠y} log(1 + e^{clip(z_j − b, −s, s)}) ].
 *
 * Each class is a separate binary decision against the common threshold b, instead of a
 * softmax over classes. The clip to [−s, s] is the original's; the gradient is zero past it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { unifiedCrossEntropy } from '@arcface/margins-contrib';
 * const loss = unifiedCrossEntropy(tf.tensor2d([[40, -5]]), tf.tensor1d([0], 'int32'), tf.scalar(2), { s: 64 });
 * console.log(loss.dataSync()[0]); // ≈ 0.0009: the target is far above b, the negative far below
 * ```
 */
export function unifiedCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  bias: tf.Scalar | number,
  options: { s?: number; lambda?: number } = {},
): tf.Scalar {
  const s = options.s ?? 64;
  const lambda = options.lambda ?? UNIFACE_DEFAULTS.lambda;
  if (!(s > 0) || !Number.isFinite(s)) throw new InvalidArgumentError(`unifiedCrossEntropy: s must be a finite number > 0, got ${s}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new InvalidArgumentError(`unifiedCrossEntropy: lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  checkLogitInputs('unifiedCrossEntropy', logits, labels);
  return tf.tidy(() => {
    const mask = targetMask(labels, logits.shape[1] as number);
    const shifted = tf.clipByValue(tf.sub(logits, bias), -s, s);
    // softplus(−z) for the positive, softplus(z) for the negatives: log(1 + e^{∓z}), stable.
    const positive = tf.softplus(tf.neg(shifted));
    const negative = tf.mul(tf.softplus(shifted), lambda);
    const perEntry = tf.add(tf.mul(mask, positive), tf.mul(tf.sub(1, mask), negative));
    return tf.mean(tf.sum(perEntry, 1)) as tf.Scalar;
  });
}

/**
 * UniFace from embeddings x [B, D], class centres W [C, D] (rows) and labels [B]: normalises
 * both, forms cosines, applies {@link uniFace}'s margin, then {@link unifiedCrossEntropy} with
 * the (learnable) bias b — pass a `tf.Variable` initialised to {@link uniFaceInitialBias}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { uniFaceInitialBias, uniFaceLoss } from '@arcface/margins-contrib';
 * const x = tf.randomNormal([8, 16]) as tf.Tensor2D;
 * const w = tf.randomNormal([4, 16]) as tf.Tensor2D;
 * const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
 * const bias = tf.variable(tf.scalar(uniFaceInitialBias(4)));
 * console.log(uniFaceLoss(x, w, labels, bias).dataSync()[0]);
 * ```
 */
export function uniFaceLoss(
  embeddings: tf.Tensor2D,
  centers: tf.Tensor2D,
  labels: tf.Tensor1D,
  bias: tf.Scalar | number,
  options: Parameters<typeof uniFace>[0] = {},
): tf.Scalar {
  const margin = uniFace(options);
  if (labels.shape[0] !== embeddings.shape[0]) {
    throw new ShapeMismatchError(`uniFaceLoss: ${labels.shape[0]} labels for ${embeddings.shape[0]} embeddings`);
  }
  return tf.tidy(() => {
    const logits = margin.logits(cosineMatrix(embeddings, centers), labels);
    return unifiedCrossEntropy(logits, labels, bias, { s: margin.options.s, lambda: margin.options.lambda });
  });
}

/** True when `fn` is the UniFace margin (whose own loss is {@link uniFaceLoss}, not softmax). */
export function isUniFace(fn: MarginFn): fn is ReturnType<typeof uniFace> {
  return fn.name === 'uniface';
}

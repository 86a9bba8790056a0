import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from '@arcface/margins';
import type { GradientMode } from '@arcface/margins';
import { ShapeMismatchError } from '@arcface/core';
import { seededNormals } from './normal-draws';
import { MAX_ANGULAR_MARGIN, checkChoice, checkNumber } from './options';
import {
  additiveAngularTarget,
  checkLogitInputs,
  replaceTargets,
  straightThrough,
  targetCosines,
  targetMask,
} from './tensor-ops';

/** How ElasticFace+ re-assigns the drawn margins to the samples of a batch. */
export type ElasticFacePlus = false | true | 'rank';

/** ElasticFace's own options and their defaults (`fdbtrs/ElasticFace`, `config/config.py`). */
export const ELASTICFACE_DEFAULTS = {
  /** 'arc': cos(θ + m_i) (ElasticFace-Arc); 'cos': cos θ − m_i (ElasticFace-Cos). */
  variant: 'arc' as 'arc' | 'cos',
  /** Mean margin m; null means the variant's default, 0.5 for 'arc' and 0.35 for 'cos'. */
  m: null as number | null,
  /** Standard deviation σ of the margin: 0.05, what the paper's models trained with (the class default is 0.0125). */
  sigma: 0.05,
  /** Seed of the draws: the draw at training step n is the stream of the pair (seed, n). */
  seed: 0,
  /**
   * ElasticFace+: false (plain ElasticFace), true (the authors' `plus=True`, see
   * {@link elasticFaceAssign}) or 'rank' (the k-th highest target cosine gets the k-th smallest margin).
   */
  plus: false as ElasticFacePlus,
  /**
   * Margins to use instead of a draw, one per row of every batch (to replay a run or compare with
   * another implementation); null draws them.
   */
  margins: null as number[] | null,
};

type ElasticSettings = Partial<typeof ELASTICFACE_DEFAULTS>;

/** The mean margin of an option set: `m`, or the variant's default. */
export function elasticFaceMeanMargin(options: ElasticSettings = {}): number {
  const variant = options.variant ?? 'arc';
  return options.m ?? (variant === 'arc' ? 0.5 : 0.35);
}

/**
 * ElasticFace's unscaled target in float64 for one drawn margin `mi`, with no threshold.
 *
 * @example
 * ```ts
 * import { elasticFaceTarget } from '@arcface/margins-contrib';
 * console.log(elasticFaceTarget(Math.PI / 3, 0.35, 'cos')); // → 0.15
 * ```
 */
export function elasticFaceTarget(theta: number, mi: number, variant: 'arc' | 'cos' = 'arc'): number {
  return variant === 'arc' ? Math.cos(theta + mi) : Math.cos(theta) - mi;
}

/**
 * ElasticFace (Boutros et al., CVPRW 2022): ArcFace or CosFace with a margin drawn per sample
 * and step, m_i ~ N(m, σ), with no threshold, as the original. The draw of a call is
 * {@link elasticFaceMargins}`(rows, options, step)`: a function of (seed, step) alone, so a run
 * is reproducible, and the loss and `marginLogits` at one step see the same margins. Pass
 * `context.step` (the trainer does): without it every call uses the draw of step 0. The option
 * `margins` replaces the draw by given values.
 *
 * With `plus` (ElasticFace+), the margins of a batch are re-assigned by the target cosines,
 * easy samples (high cos θ_y) towards small margins: see {@link elasticFaceAssign}.
 *
 * `targetLogit(θ)` is the target at the mean margin. For the 'arc' variant that is cos(θ + m)
 * everywhere, as in the paper, which rises again past θ = π − m: `checkMargin` reports it not
 * monotone on (π − m, π]. Targets start near θ = 90° in training and do not go there.
 *
 * @example
 * ```ts
 * import { elasticFace } from '@arcface/margins-contrib';
 * console.log(elasticFace({ variant: 'cos' }).targetLogit(Math.PI / 3)); // → 0.15
 * ```
 */
export const elasticFace = defineMargin({
  name: 'elasticface',
  defaults: ELASTICFACE_DEFAULTS,
  validate(o, fail) {
    checkChoice(fail, 'variant', o.variant, ['arc', 'cos']);
    if (o.m !== null) checkNumber(fail, 'm', o.m, 0, MAX_ANGULAR_MARGIN);
    checkNumber(fail, 'sigma', o.sigma, 0, 1);
    checkNumber(fail, 'seed', o.seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
    if (o.plus !== false && o.plus !== true && o.plus !== 'rank') {
      fail('plus', `must be false, true or 'rank', got ${JSON.stringify(o.plus)}`);
    }
    if (o.margins !== null) {
      if (!Array.isArray(o.margins) || o.margins.length === 0) {
        fail('margins', `must be null or a non-empty array of numbers, got ${JSON.stringify(o.margins)}`);
      }
      o.margins.forEach((value, i) => checkNumber(fail, `margins[${i}]`, value, -MAX_ANGULAR_MARGIN, MAX_ANGULAR_MARGIN));
    }
  },
  setup(options) {
    const { s, gradient } = options;
    const variant = options.variant as 'arc' | 'cos';
    const plus = options.plus as ElasticFacePlus;
    const m = elasticFaceMeanMargin(options);
    const given = options.margins === null ? undefined : Float32Array.from(options.margins);
    return {
      targetLogit: (theta) => elasticFaceTarget(theta, m, variant),
      logits(cosines, labels, context) {
        checkLogitInputs('elasticface', cosines, labels);
        const rows = cosines.shape[0];
        if (given !== undefined && given.length !== rows) {
          throw new ShapeMismatchError(
            `elasticface: option 'margins' holds ${given.length} margins for a batch of ${rows} rows; give one per row`,
          );
        }
        return tf.tidy(() => {
          // The draw depends on (seed, step) only: every call at one step sees the same margins.
          const margins = given !== undefined ? tf.tensor1d(given) : elasticFaceDraw(rows, options, context.step ?? 0);
          return elasticFaceLogits(cosines, labels, margins, { variant, s, gradient, plus });
        });
      },
    };
  },
});

/**
 * ElasticFace's scaled logits [B, C] for cosines [B, C], labels [B] and the margins [B] to use:
 * s·cos(θ_y + m_i) ('arc') or s·(cos θ_y − m_i) ('cos') on the target column, s·cos θ_j
 * elsewhere, cosines clamped to [−1, 1]. With `plus`, the margins are first re-assigned by
 * {@link elasticFaceAssign}. The margins get no gradient (in the original they are drawn, and
 * sorted under `torch.no_grad`).
 */
export function elasticFaceLogits(
  cosines: tf.Tensor2D,
  labels: tf.Tensor1D,
  margins: tf.Tensor1D,
  options: { variant?: 'arc' | 'cos'; s?: number; gradient?: GradientMode; plus?: ElasticFacePlus } = {},
): tf.Tensor2D {
  const { variant = 'arc', s = 64, gradient = 'exact', plus = false } = options;
  checkLogitInputs('elasticFaceLogits', cosines, labels);
  if (margins.rank !== 1 || margins.shape[0] !== cosines.shape[0]) {
    throw new ShapeMismatchError(
      `elasticFaceLogits: margins must be [${cosines.shape[0]}], one per row, got shape [${margins.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const clamped = tf.clipByValue(cosines, -1, 1) as tf.Tensor2D;
    const mask = targetMask(labels, clamped.shape[1]);
    const cosTarget = targetCosines(clamped, mask);
    const used = plus === false ? margins : elasticFaceAssign(cosTarget, margins, plus === 'rank' ? 'rank' : 'authors');
    let target =
      variant === 'arc' ? additiveAngularTarget(cosTarget, used, 'none') : (tf.sub(cosTarget, used) as tf.Tensor1D);
    if (gradient === 'straight-through') target = straightThrough(target, cosTarget);
    return tf.mul(replaceTargets(clamped, mask, target, cosTarget), s) as tf.Tensor2D;
  });
}

/**
 * ElasticFace+'s re-assignment of a batch's margins [B] by its target cosines [B]. Let
 * `order` list the rows by target cosine, highest first (ties: the lower row first), and
 * `sorted` the margins in ascending order.
 * - 'authors' (`plus: true`), as `fdbtrs/ElasticFace` `utils/losses.py` (`plus=True`) does:
 *   row i gets `sorted[order[i]]`, a gather of the sorted margins by the sort order.
 * - 'rank' (`plus: 'rank'`): the row with the k-th highest cosine gets the k-th smallest margin,
 *   i.e. row `order[k]` gets `sorted[k]`.
 * The two agree whenever `order` is its own inverse (for instance when the rows already come
 * sorted, or for B ≤ 2), and differ otherwise: for cosines [0.1, 0.9, 0.5] and sorted margins
 * [a, b, c], 'authors' gives [b, c, a] and 'rank' gives [c, a, b]. The result has no gradient.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import { elasticFaceAssign } from '@arcface/margins-contrib';
 * const cos = tf.tensor1d([0.1, 0.9, 0.5]);
 * const margins = tf.tensor1d([0.3, 0.5, 0.4]);
 * console.log(Array.from(await elasticFaceAssign(cos, margins, 'authors').data())); // → [0.4, 0.5, 0.3]
 * console.log(Array.from(await elasticFaceAssign(cos, margins, 'rank').data())); // → [0.5, 0.3, 0.4]
 * ```
 */
export function elasticFaceAssign(cosTarget: tf.Tensor1D, margins: tf.Tensor1D, rule: 'authors' | 'rank'): tf.Tensor1D {
  if (cosTarget.rank !== 1 || margins.rank !== 1 || cosTarget.shape[0] !== margins.shape[0]) {
    throw new ShapeMismatchError(
      `elasticFaceAssign: cosines [${cosTarget.shape.join(', ')}] and margins [${margins.shape.join(', ')}] must both be [B]`,
    );
  }
  // Inside customGrad the sort is off the gradient tape (tfjs has no TopK gradient) and the
  // result is a constant, as under torch.no_grad.
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [c, given] = args as [tf.Tensor1D, tf.Tensor1D];
    const rows = c.shape[0];
    // topk sorts descending with ties broken by the lower index.
    const order = tf.topk(c, rows).indices;
    const sorted = tf.reverse(tf.topk(given, rows).values);
    const rowsToRanks = rule === 'authors' ? order : tf.topk(tf.neg(tf.cast(order, 'float32')), rows).indices;
    return {
      value: tf.gather(sorted, rowsToRanks) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy), tf.zerosLike(dy)],
    };
  });
  return op(cosTarget, margins) as tf.Tensor1D;
}

/**
 * The per-sample margins m_i ~ N(m, σ) of draw `n` (a step), in float32 on the host: the values
 * {@link elasticFace}'s `logits` uses at step `n` (before any `plus` re-assignment). Every
 * (seed, n) pair has its own reproducible stream, 0 included, the same on every backend.
 *
 * @example
 * ```ts
 * import { elasticFaceMargins } from '@arcface/margins-contrib';
 * const a = elasticFaceMargins(4, { sigma: 0.05 }, 0);
 * const b = elasticFaceMargins(4, { sigma: 0.05 }, 0);
 * console.log(a.every((m, i) => m === b[i])); // → true
 * ```
 */
export function elasticFaceMargins(rows: number, options: ElasticSettings, n: number): Float32Array {
  if (!Number.isInteger(rows) || rows < 0) throw new ShapeMismatchError(`elasticFaceMargins: rows must be an integer ≥ 0, got ${rows}`);
  const m = elasticFaceMeanMargin(options);
  const sigma = options.sigma ?? ELASTICFACE_DEFAULTS.sigma;
  const seed = options.seed ?? ELASTICFACE_DEFAULTS.seed;
  if (sigma === 0) return new Float32Array(rows).fill(m);
  return Float32Array.from(seededNormals(rows, seed, n), (z) => m + sigma * z);
}

/**
 * {@link elasticFaceMargins} as a tensor [rows].
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import { elasticFaceDraw } from '@arcface/margins-contrib';
 * const margins = elasticFaceDraw(4, { sigma: 0.05 }, 0);
 * console.log((await margins.data()).length); // → 4
 * margins.dispose();
 * ```
 */
export function elasticFaceDraw(rows: number, options: ElasticSettings, n: number): tf.Tensor1D {
  return tf.tensor1d(elasticFaceMargins(rows, options, n));
}

import { marginSoftmaxLoss } from '@arcface/margins';

/**
 * The margin softmax loss of `@arcface/margins` under its earlier name in this package.
 *
 * @deprecated Use `marginSoftmaxLoss` from `@arcface/margins`, which this is. It differentiates
 * every margin here: it takes the class count from the logits' width (Sub-center ArcFace's
 * `[B, C·K]` cosines → `[B, C]` logits) and carries the gradient through
 * `context.featureNorms` (MagFace's m(‖x‖) and regulariser).
 *
 * @example
 * ```ts
 * import { marginSoftmaxLoss } from '@arcface/margins';
 * import { autodiffMarginLoss } from '@arcface/margins-contrib';
 * console.log(autodiffMarginLoss === marginSoftmaxLoss); // true
 * ```
 */
export const autodiffMarginLoss: typeof marginSoftmaxLoss = marginSoftmaxLoss;

import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from './define-margin';
import type { MarginInput } from './define-margin';

/** `softmax-normalized` has no options of its own. */
export type SoftmaxNormalizedOwnOptions = Record<never, never>;

/** Options `createMargin('softmax-normalized', …)` accepts: `s` and `gradient`. */
export type SoftmaxNormalizedOptions = MarginInput<SoftmaxNormalizedOwnOptions>;

/**
 * NormFace (Wang et al. 2017): normalised features and centres, no margin: t(θ) = cos θ.
 * The baseline the margins are measured against.
 *
 * @example
 * softmaxNormalized({ s: 30 }).targetLogit(Math.PI / 3); // 0.5
 */
export const softmaxNormalized = defineMargin<'softmax-normalized', SoftmaxNormalizedOwnOptions>({
  name: 'softmax-normalized',
  defaults: {},
  setup() {
    return {
      targetLogit: (theta) => Math.cos(theta),
      targetDerivative: () => 1,
      target: (c) => tf.clone(c),
      targetGradient: (c) => tf.onesLike(c),
      boundaries: () => [],
    };
  },
});

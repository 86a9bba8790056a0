import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from './define-margin';
import type { MarginInput } from './define-margin';
import { checkNumberOption } from './option-checks';

/** Options of `additive-cosine` (CosFace) without `s` and `gradient`. */
export type AdditiveCosineOwnOptions = {
  /** Cosine margin m, in [0, 1] [0.35]. */
  m: number;
};

/** Options `createMargin('additive-cosine', …)` accepts. */
export type AdditiveCosineOptions = MarginInput<AdditiveCosineOwnOptions>;

/**
 * CosFace / AM-Softmax (Wang et al. 2018): t(θ) = cos θ − m. Monotone and ≤ cos θ
 * everywhere, so it needs no boundary policy; dt/dc = 1.
 *
 * @example
 * additiveCosine({ m: 0.35 }).targetLogit(0); // 0.65
 */
export const additiveCosine = defineMargin<'additive-cosine', AdditiveCosineOwnOptions>({
  name: 'additive-cosine',
  defaults: { m: 0.35 },
  validate(options) {
    checkNumberOption('additive-cosine', 'm', options.m, { min: 0, max: 1 });
  },
  setup({ m }) {
    return {
      targetLogit: (theta) => Math.cos(theta) - m,
      targetDerivative: () => 1,
      target: (c) => tf.sub(c, m),
      targetGradient: (c) => tf.onesLike(c),
      boundaries: () => [],
    };
  },
});

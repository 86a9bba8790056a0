import * as tf from '@tensorflow/tfjs-core';
import { defineMargin } from './define-margin';
import type { MarginInput } from './define-margin';
import { checkNumberOption } from './option-checks';
import { SPHEREFACE_LAMBDA_DEFAULTS, sphereFaceLambda } from './sphereface-lambda';
import type { SphereFaceLambdaSchedule } from './sphereface-lambda';

/** Options of `multiplicative-angular` (SphereFace) without `s` and `gradient`. */
export type MultiplicativeAngularOwnOptions = SphereFaceLambdaSchedule & {
  /** Integer angular multiplier m, in [1, 10] [4]. */
  m: number;
  /** A fixed λ ≥ 0, or null [null] to anneal it per step with base, gamma, power, lambda_min. */
  lambda: number | null;
};

/** Options `createMargin('multiplicative-angular', …)` accepts. */
export type MultiplicativeAngularOptions = MarginInput<MultiplicativeAngularOwnOptions>;

/** The largest m accepted: ψ's Chebyshev polynomial loses float32 precision beyond. */
export const MAX_SPHEREFACE_M = 10;

/**
 * SphereFace's A-Softmax as in the original Caffe code (Liu et al. 2017), on normalised
 * features: ψ(θ) = (−1)^k·cos(mθ) − 2k with k = ⌊mθ/π⌋ (clipped to m − 1), blended with the
 * plain cosine: t = (ψ + λ·cos θ)/(1 + λ). λ is fixed, or annealed per training step as
 * max(λ_min, base·(1 + γ·step)^(−power)).
 *
 * The tensor form needs no acos: cos(mθ) = T_m(c) (Chebyshev polynomial of the first kind),
 * its derivative m·U_{m−1}(c) (second kind), and k counts the thresholds cos(jπ/m) ≥ c.
 * ψ is C¹ at every kπ/m, and the polynomial derivative is finite at c = ±1.
 *
 * @example
 * multiplicativeAngular({ m: 4, lambda: 0 }).targetLogit(Math.PI / 4); // ψ(π/4) = −3
 */
export const multiplicativeAngular = defineMargin<'multiplicative-angular', MultiplicativeAngularOwnOptions>({
  name: 'multiplicative-angular',
  defaults: { m: 4, lambda: null, ...SPHEREFACE_LAMBDA_DEFAULTS },
  validate(options) {
    const name = 'multiplicative-angular';
    checkNumberOption(name, 'm', options.m, { min: 1, max: MAX_SPHEREFACE_M, integer: true });
    if (options.lambda !== null) checkNumberOption(name, 'lambda', options.lambda, { min: 0 });
    checkNumberOption(name, 'base', options.base, { min: 0 });
    checkNumberOption(name, 'gamma', options.gamma, { min: 0 });
    checkNumberOption(name, 'power', options.power, { min: 0 });
    checkNumberOption(name, 'lambda_min', options.lambda_min, { min: 0 });
  },
  setup(options) {
    const { m } = options;
    const fixed = options.lambda;
    const lambdaAt = (step: number) => (fixed !== null ? fixed : sphereFaceLambda(step, options));
    // k ≥ j ⇔ θ ≥ jπ/m ⇔ c ≤ cos(jπ/m)
    const thresholds = Array.from({ length: m - 1 }, (_, j) => Math.cos(((j + 1) * Math.PI) / m));

    const psi = (theta: number): number => {
      const k = Math.min(m - 1, Math.floor((m * theta) / Math.PI));
      return (k % 2 === 0 ? 1 : -1) * Math.cos(m * theta) - 2 * k;
    };
    const psiSlope = (c: number): number => {
      const theta = Math.acos(c);
      const k = Math.min(m - 1, Math.floor((m * theta) / Math.PI));
      return (k % 2 === 0 ? 1 : -1) * m * chebyshevU(m - 1, c);
    };
    // k as a float tensor: the number of thresholds c lies at or below.
    const kOf = (c: tf.Tensor): tf.Tensor =>
      thresholds.reduce<tf.Tensor>((k, t) => tf.add(k, tf.cast(tf.lessEqual(c, t), 'float32')), tf.zerosLike(c));
    // (−1)^k = 1 − 2·(k mod 2)
    const signOf = (k: tf.Tensor): tf.Tensor => tf.sub(1, tf.mul(2, tf.mod(k, 2)));

    return {
      targetLogit(theta, step) {
        const lambda = lambdaAt(step);
        return (psi(theta) + lambda * Math.cos(theta)) / (1 + lambda);
      },
      targetDerivative(c, step) {
        const lambda = lambdaAt(step);
        return (psiSlope(Math.min(Math.max(c, -1), 1)) + lambda) / (1 + lambda);
      },
      target(c, context) {
        const lambda = lambdaAt(context.step ?? 0);
        return tf.tidy(() => {
          const k = kOf(c);
          const value = tf.sub(tf.mul(signOf(k), chebyshevTensor(m, c, 'T')), tf.mul(k, 2));
          return tf.div(tf.add(value, tf.mul(c, lambda)), 1 + lambda) as tf.Tensor1D;
        });
      },
      targetGradient(c, context) {
        const lambda = lambdaAt(context.step ?? 0);
        return tf.tidy(() => {
          const slope = tf.mul(tf.mul(signOf(kOf(c)), chebyshevTensor(m - 1, c, 'U')), m);
          return tf.div(tf.add(slope, lambda), 1 + lambda) as tf.Tensor1D;
        });
      },
      boundaries() {
        return Array.from({ length: m - 1 }, (_, j) => ((j + 1) * Math.PI) / m);
      },
    };
  },
});

/** U_n(c), the Chebyshev polynomial of the second kind, in float64 (U_n(cos θ) = sin((n+1)θ)/sin θ). */
function chebyshevU(n: number, c: number): number {
  let previous = 1;
  let current = 2 * c;
  if (n === 0) return previous;
  for (let i = 1; i < n; i++) [previous, current] = [current, 2 * c * current - previous];
  return current;
}

/**
 * T_n(c) or U_n(c) as tensors by the three-term recurrence P_{i+1} = 2c·P_i − P_{i−1},
 * with T_0 = U_0 = 1, T_1 = c, U_1 = 2c.
 */
function chebyshevTensor(n: number, c: tf.Tensor, kind: 'T' | 'U'): tf.Tensor {
  let previous: tf.Tensor = tf.onesLike(c);
  if (n === 0) return previous;
  let current: tf.Tensor = kind === 'T' ? c : tf.mul(c, 2);
  const twoC = tf.mul(c, 2);
  for (let i = 1; i < n; i++) [previous, current] = [current, tf.sub(tf.mul(twoC, current), previous)];
  return current;
}

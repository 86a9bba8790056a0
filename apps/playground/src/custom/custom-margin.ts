import * as tf from '@tensorflow/tfjs-core';
import { defineMargin, type MarginFn, type MarginOptions } from '@arcface/margins';
import { compileExpression, evaluateTensorExpression, parseExpression, type ExpressionNode } from '../expression';

/** Names a custom formula may read besides θ, with the values they start at. */
export const CUSTOM_PARAMETERS = {
  m: 0.5,
  m1: 1,
  m2: 0.3,
  m3: 0.2,
  lambda: 5,
} as const satisfies Readonly<Record<string, number>>;

type CustomParameters = { -readonly [K in keyof typeof CUSTOM_PARAMETERS]: number };

export const CUSTOM_VARIABLES: readonly string[] = ['theta', ...Object.keys(CUSTOM_PARAMETERS)];

/** Scale of a custom margin when the caller gives none. */
export const CUSTOM_DEFAULT_SCALE = 30;

/**
 * Keeps acos' derivative −1/√(1 − c²) finite: cosines are clamped to [−1 + ε, 1 − ε] before
 * θ = acos(c) (beyond the clamp the gradient is 0, so checkMargin's test at c = ±1 passes).
 */
const COS_EPSILON = 1e-6;

/** What the page keeps of a custom margin: enough to rebuild it anywhere (also in the worker). */
export interface CustomMarginSpec {
  readonly name: string;
  readonly formula: string;
}

/** A margin factory as the registry stores it: options in, a margin out. */
export type CustomMarginFactory = (options?: MarginOptions) => MarginFn;

/** Parses a formula for t(θ); throws the parser's typed errors on bad input. */
export function parseCustomFormula(formula: string): ExpressionNode {
  return parseExpression(formula, { variables: CUSTOM_VARIABLES });
}

/**
 * A margin plugin for a typed formula t(θ; m, m1, m2, m3, λ), made by `defineMargin` of
 * `@arcface/margins`: one factory per formula, registered under the margin's own name, so the
 * options stay the parameters and `s` alone and `createMargin(margin.name, margin.options)`
 * rebuilds an equal margin. The float64 closure drives plots and `checkMargin`; the tensor form
 * is the same syntax tree in tfjs ops, which autodiff differentiates for training (tfjs'
 * gradient functions must be registered).
 *
 * @example
 * const factory = customMarginFactory({ name: 'mine', formula: 'cos(θ + m) - 0.1' });
 * registerMargin('mine', factory);
 * createMargin('mine', { m: 0.4, s: 30 }).targetLogit(1); // cos(1.4) − 0.1
 */
export function customMarginFactory(spec: CustomMarginSpec): CustomMarginFactory {
  const tree = parseCustomFormula(spec.formula);
  const scalar = compileExpression(tree);
  return defineMargin<string, CustomParameters>({
    name: spec.name,
    defaults: { ...CUSTOM_PARAMETERS },
    defaultScale: CUSTOM_DEFAULT_SCALE,
    validate(options, fail) {
      for (const key of Object.keys(CUSTOM_PARAMETERS) as Array<keyof CustomParameters>) {
        const value: unknown = options[key];
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(key, `must be a finite number, got ${String(value)}`);
      }
    },
    setup(options) {
      const params: CustomParameters = { m: options.m, m1: options.m1, m2: options.m2, m3: options.m3, lambda: options.lambda };
      return {
        targetLogit: (theta) => scalar({ ...params, theta }),
        target: (cosTarget) =>
          tf.tidy(() => {
            const c = tf.clipByValue(cosTarget, -1 + COS_EPSILON, 1 - COS_EPSILON);
            const value = evaluateTensorExpression(tree, { ...params, theta: tf.acos(c) });
            // A formula that ignores θ folds to a number: give it the batch's shape through c,
            // so autodiff finds a (zero) path from c to t instead of refusing the gradient.
            return typeof value === 'number' ? tf.add(tf.mul(c, 0), value) : tf.broadcastTo(value, cosTarget.shape);
          }),
      };
    },
  });
}

import * as tf from '@tensorflow/tfjs-core';
import type { MarginFn, MarginOptions } from '@arcface/margins';
import { compileExpression, evaluateTensorExpression, parseExpression, type ExpressionNode } from '../expression';
import { marginFromFormulas } from '../margins/builtin-margins';

/** Names a custom formula may read besides θ, with the values they start at. */
export const CUSTOM_PARAMETERS: Readonly<Record<string, number>> = {
  m: 0.5,
  m1: 1,
  m2: 0.3,
  m3: 0.2,
  lambda: 5,
};

export const CUSTOM_VARIABLES: readonly string[] = ['theta', ...Object.keys(CUSTOM_PARAMETERS)];

/** What the page keeps of a custom margin: enough to rebuild it anywhere (also in the worker). */
export interface CustomMarginSpec {
  readonly name: string;
  readonly formula: string;
}

/** Parses a formula for t(θ); throws the parser's typed errors on bad input. */
export function parseCustomFormula(formula: string): ExpressionNode {
  return parseExpression(formula, { variables: CUSTOM_VARIABLES });
}

/**
 * A margin factory for a typed formula t(θ; m, m1, m2, m3, λ): float64 closure for plots and
 * checks, tfjs ops (differentiable) for training. Options are the parameters and `s`.
 *
 * @example
 * const factory = customMarginFactory({ name: 'mine', formula: 'cos(θ + m) - 0.1' });
 * factory({ m: 0.4, s: 30 }).targetLogit(1); // cos(1.4) − 0.1
 */
export function customMarginFactory(spec: CustomMarginSpec): (options?: MarginOptions) => MarginFn {
  const tree = parseCustomFormula(spec.formula);
  const scalar = compileExpression(tree);
  return (options: MarginOptions = {}) => {
    const params: Record<string, number> = {};
    for (const [key, fallback] of Object.entries(CUSTOM_PARAMETERS)) {
      const value = options[key];
      params[key] = typeof value === 'number' ? value : fallback;
    }
    const s = typeof options.s === 'number' ? options.s : 30;
    return marginFromFormulas(
      spec.name,
      { ...params, s, formula: spec.formula },
      (theta) => scalar({ ...params, theta }),
      (c, theta) => {
        const value = evaluateTensorExpression(tree, { ...params, theta });
        return typeof value === 'number' ? tf.fill(c.shape, value) : tf.broadcastTo(value, c.shape);
      },
    );
  };
}

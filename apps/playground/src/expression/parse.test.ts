import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './evaluate';
import {
  ExpressionSyntaxError,
  ExpressionTooComplexError,
  UnknownNameError,
  isExpressionError,
} from './expression-errors';
import { formatExpression } from './format-expression';
import { MAX_EXPRESSION_DEPTH, parseExpression } from './parse';
import { MAX_EXPRESSION_LENGTH } from './tokenize';

const VARIABLES = ['theta', 'm', 'm1', 'm2', 'm3', 's', 'lambda'];
const evaluate = (source: string, bindings: Record<string, number> = {}): number =>
  compileExpression(parseExpression(source, { variables: VARIABLES }))(bindings);

describe('parseExpression: precedence and associativity', () => {
  it.each([
    ['1 - 2 - 3', -4],
    ['8 / 4 / 2', 1],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['2 * 3 + 4 * 5', 26],
    ['(2 + 3) * 4', 20],
    ['2(3 + 4)', 14],
    ['2pi', 2 * Math.PI],
    ['1 + 2 < 4', 1],
    ['3 >= 4', 0],
    ['1 < 2 ? 10 : 20', 10],
    ['0 ? 1 : 0 ? 2 : 3', 3],
    ['2 ** 3', 8],
    ['clamp(5, 0, 1)', 1],
    ['max(1, 7, 3)', 7],
    ['min(4, -2)', -2],
    ['1e-3 * 1E3', 1],
    ['.5 + 1.', 1.5],
  ])('%s = %d', (source, expected) => {
    expect(evaluate(source)).toBeCloseTo(expected, 12);
  });

  it('reads typeset symbols: θ, λ, π, −, ·, ×, ≤', () => {
    const bindings = { theta: 0.7, m1: 1.2, m2: 0.3, m3: 0.1, lambda: 5 };
    expect(evaluate('cos(m1·θ + m2) − m3', bindings)).toBe(Math.cos(1.2 * 0.7 + 0.3) - 0.1);
    expect(evaluate('λ × θ', bindings)).toBe(5 * 0.7);
    expect(evaluate('θ ≤ π/2', bindings)).toBe(1);
  });

  it('juxtaposition multiplies and binds tighter than + but looser than ^', () => {
    expect(evaluate('2θ^2 + 1', { theta: 3 })).toBe(19);
    expect(evaluate('m1 θ', { theta: 3, m1: 2 })).toBe(6);
    expect(evaluate('-2θ', { theta: 3 })).toBe(-6);
  });

  it('NaN in a test or comparison stays NaN', () => {
    expect(evaluate('sqrt(-1) > 0')).toBeNaN();
    expect(evaluate('sqrt(-1) ? 1 : 2')).toBeNaN();
  });
});

describe('parseExpression: errors', () => {
  it('rejects unknown names and lists the known ones', () => {
    for (const name of ['eval', 'constructor', '__proto__', 'alert', 'window', 'this', 'x']) {
      const error = catchError(() => parseExpression(`${name} + 1`, { variables: VARIABLES }));
      expect(error).toBeInstanceOf(UnknownNameError);
      expect((error as UnknownNameError).code).toBe('ERR_EXPRESSION_UNKNOWN_NAME');
      expect((error as UnknownNameError).message).toContain(`'${name}'`);
      expect((error as UnknownNameError).message).toContain('theta');
      expect((error as UnknownNameError).start).toBe(0);
    }
  });

  it.each([
    ['', 'empty'],
    ['cos(θ', "expected ')'"],
    ['θ +', 'ends too early'],
    ['θ + * 2', "found '*'"],
    ['1 < θ < 2', 'cannot be chained'],
    ['cos θ', 'needs parentheses'],
    ['min(1)', 'takes 2 to 8 arguments, got 1'],
    ['cos(1, 2)', 'takes 1 argument, got 2'],
    ['θ ? 1', "expected ':'"],
    ['θ $ 2', "unexpected character '$'"],
    ['(θ))', "unexpected ')'"],
  ])('%j → %s', (source, fragment) => {
    const error = catchError(() => parseExpression(source, { variables: VARIABLES }));
    expect(error).toBeInstanceOf(ExpressionSyntaxError);
    expect((error as ExpressionSyntaxError).code).toBe('ERR_EXPRESSION_SYNTAX');
    expect((error as Error).message).toContain(fragment);
  });

  it('points at the offending characters', () => {
    const error = catchError(() => parseExpression('cos(θ) + # 1', { variables: VARIABLES })) as ExpressionSyntaxError;
    expect(error.start).toBe(9);
  });

  it('refuses formulas that are too long or too deep instead of overflowing the stack', () => {
    const long = '1+'.repeat(MAX_EXPRESSION_LENGTH) + '1';
    expect(catchError(() => parseExpression(long, { variables: [] }))).toBeInstanceOf(ExpressionTooComplexError);
    const deep = '('.repeat(MAX_EXPRESSION_DEPTH + 1) + '1' + ')'.repeat(MAX_EXPRESSION_DEPTH + 1);
    expect(catchError(() => parseExpression(deep, { variables: [] }))).toBeInstanceOf(ExpressionTooComplexError);
    const minuses = '-'.repeat(MAX_EXPRESSION_DEPTH + 1) + '1';
    expect(catchError(() => parseExpression(minuses, { variables: [] }))).toBeInstanceOf(ExpressionTooComplexError);
    const shallow = '('.repeat(20) + '1' + ')'.repeat(20);
    expect(evaluate(shallow)).toBe(1);
  });
});

// A random formula together with its value, computed here straight from the tree with Math.*:
// an oracle independent of the parser. `text` uses as few parentheses as the grammar allows,
// so the parser's precedence and associativity decide the value.
interface Sample {
  readonly text: string;
  readonly value: number;
  /** 1 additive, 2 multiplicative, 3 unary, 4 power, 5 atom. */
  readonly level: number;
}

const BINDINGS = { theta: 1.25, m: 0.5, s: 64 };
const wrap = (sample: Sample, minLevel: number): string => (sample.level < minLevel ? `(${sample.text})` : sample.text);

const sampleArbitrary: fc.Arbitrary<Sample> = fc.letrec<{ node: Sample }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double({ min: -100, max: 100, noNaN: true }).map((value): Sample => {
      const magnitude = String(Math.abs(value));
      return Object.is(value, -0) || value < 0
        ? { text: `-${magnitude}`, value, level: 3 }
        : { text: magnitude, value, level: 5 };
    }),
    fc.constantFrom<Sample>(
      { text: 'theta', value: BINDINGS.theta, level: 5 },
      { text: 'θ', value: BINDINGS.theta, level: 5 },
      { text: 'm', value: BINDINGS.m, level: 5 },
      { text: 's', value: BINDINGS.s, level: 5 },
      { text: 'pi', value: Math.PI, level: 5 },
    ),
    fc.tuple(tie('node'), fc.constantFrom('+', '-'), tie('node')).map(([a, op, b]): Sample => ({
      text: `${wrap(a, 1)} ${op} ${wrap(b, 2)}`,
      value: op === '+' ? a.value + b.value : a.value - b.value,
      level: 1,
    })),
    fc.tuple(tie('node'), fc.constantFrom('*', '/'), tie('node')).map(([a, op, b]): Sample => ({
      text: `${wrap(a, 2)} ${op} ${wrap(b, 3)}`,
      value: op === '*' ? a.value * b.value : a.value / b.value,
      level: 2,
    })),
    tie('node').map((a): Sample => ({ text: `-${wrap(a, 3)}`, value: -a.value, level: 3 })),
    fc.tuple(tie('node'), tie('node')).map(([a, b]): Sample => ({
      text: `${wrap(a, 5)}^${wrap(b, 3)}`,
      value: Math.pow(a.value, b.value),
      level: 4,
    })),
    fc.tuple(fc.constantFrom('cos', 'sin', 'abs', 'sqrt', 'exp', 'floor'), tie('node')).map(([fn, a]): Sample => {
      const f = Math[fn as 'cos'];
      return { text: `${fn}(${a.text})`, value: f(a.value), level: 5 };
    }),
    fc.tuple(tie('node'), tie('node')).map(([a, b]): Sample => ({
      text: `max(${a.text}, ${b.text})`,
      value: Math.max(a.value, b.value),
      level: 5,
    })),
  ),
})).node;

describe('parseExpression: properties', () => {
  it('evaluates random formulas exactly as the tree they were printed from', () => {
    fc.assert(
      fc.property(sampleArbitrary, (sample) => {
        const got = compileExpression(parseExpression(sample.text, { variables: ['theta', 'm', 's'] }))(BINDINGS);
        expect(Object.is(got, sample.value) || (Number.isNaN(got) && Number.isNaN(sample.value))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('formatExpression round-trips: the formatted tree parses to the same value', () => {
    fc.assert(
      fc.property(sampleArbitrary, (sample) => {
        const options = { variables: ['theta', 'm', 's'] };
        const tree = parseExpression(sample.text, options);
        const again = parseExpression(formatExpression(tree), options);
        const a = compileExpression(tree)(BINDINGS);
        const b = compileExpression(again)(BINDINGS);
        expect(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))).toBe(true);
        expect(formatExpression(again)).toBe(formatExpression(tree));
      }),
      { numRuns: 300 },
    );
  });

  it('any input either parses or throws one of the expression errors, never anything else', () => {
    const alphabet = fc.constantFrom(
      ...'0123456789.eE+-*/^()<>=!?:, θλπ−·abcmst'.split(''),
      'cos',
      'theta',
      'max',
      '**',
      'constructor',
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join(''))), (text) => {
        try {
          const value = compileExpression(parseExpression(text, { variables: VARIABLES }))({ theta: 1 });
          expect(typeof value).toBe('number');
        } catch (error) {
          expect(isExpressionError(error), String(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

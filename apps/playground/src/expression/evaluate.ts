import type { ExpressionNode, FunctionName } from './ast';

/** Values of the variables a formula reads. */
export type Bindings = Readonly<Record<string, number>>;

/** A compiled formula: call it with the variables' values. */
export type CompiledExpression = (bindings: Bindings) => number;

const FUNCTIONS: Readonly<Record<FunctionName, (...args: number[]) => number>> = {
  cos: Math.cos,
  sin: Math.sin,
  tan: Math.tan,
  acos: Math.acos,
  asin: Math.asin,
  atan: Math.atan,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  sign: Math.sign,
  min: Math.min,
  max: Math.max,
  pow: Math.pow,
  // clamp(x, lo, hi): min(max(x, lo), hi), the order a reader expects.
  clamp: (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi),
};

/**
 * Turns a syntax tree into a plain closure over float64 numbers — no code is generated, each
 * node becomes a small function. Comparisons give 1 or 0; `c ? a : b` takes `a` where c ≠ 0
 * (NaN where c is NaN, so a NaN never hides behind a branch).
 *
 * @example
 * const f = compileExpression(parseExpression('cos(θ + m)', { variables: ['theta', 'm'] }));
 * f({ theta: 0, m: 0.5 }); // 0.8775…
 */
export function compileExpression(node: ExpressionNode): CompiledExpression {
  switch (node.kind) {
    case 'number': {
      const value = node.value;
      return () => value;
    }
    case 'constant': {
      const value = node.name === 'pi' ? Math.PI : Math.E;
      return () => value;
    }
    case 'variable': {
      const name = node.name;
      return (bindings) => {
        const value = bindings[name];
        // A missing binding is a NaN, which checkMargin then reports, rather than a crash mid-plot.
        return value === undefined ? Number.NaN : value;
      };
    }
    case 'unary': {
      const operand = compileExpression(node.operand);
      return node.op === '-' ? (b) => -operand(b) : operand;
    }
    case 'binary': {
      const left = compileExpression(node.left);
      const right = compileExpression(node.right);
      switch (node.op) {
        case '+':
          return (b) => left(b) + right(b);
        case '-':
          return (b) => left(b) - right(b);
        case '*':
          return (b) => left(b) * right(b);
        case '/':
          return (b) => left(b) / right(b);
        case '^':
          return (b) => Math.pow(left(b), right(b));
        case '<':
          return (b) => compare(left(b), right(b), (x, y) => x < y);
        case '<=':
          return (b) => compare(left(b), right(b), (x, y) => x <= y);
        case '>':
          return (b) => compare(left(b), right(b), (x, y) => x > y);
        case '>=':
          return (b) => compare(left(b), right(b), (x, y) => x >= y);
        case '==':
          return (b) => compare(left(b), right(b), (x, y) => x === y);
        case '!=':
          return (b) => compare(left(b), right(b), (x, y) => x !== y);
      }
      break;
    }
    case 'conditional': {
      const test = compileExpression(node.test);
      const then = compileExpression(node.then);
      const otherwise = compileExpression(node.otherwise);
      return (b) => {
        const t = test(b);
        if (Number.isNaN(t)) return Number.NaN;
        return t !== 0 ? then(b) : otherwise(b);
      };
    }
    case 'call': {
      const fn = FUNCTIONS[node.name];
      const args = node.args.map(compileExpression);
      if (args.length === 1) {
        const [only] = args as [CompiledExpression];
        return (b) => fn(only(b));
      }
      return (b) => fn(...args.map((arg) => arg(b)));
    }
  }
  throw new Error(`unreachable: ${(node as { kind: string }).kind}`);
}

function compare(x: number, y: number, test: (x: number, y: number) => boolean): number {
  // NaN compared with anything stays NaN instead of silently becoming "false".
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  return test(x, y) ? 1 : 0;
}

/** The variables a formula actually reads, in order of first use. */
export function variablesOf(node: ExpressionNode, into: string[] = []): string[] {
  switch (node.kind) {
    case 'variable':
      if (!into.includes(node.name)) into.push(node.name);
      break;
    case 'unary':
      variablesOf(node.operand, into);
      break;
    case 'binary':
      variablesOf(node.left, into);
      variablesOf(node.right, into);
      break;
    case 'conditional':
      variablesOf(node.test, into);
      variablesOf(node.then, into);
      variablesOf(node.otherwise, into);
      break;
    case 'call':
      for (const arg of node.args) variablesOf(arg, into);
      break;
    default:
      break;
  }
  return into;
}

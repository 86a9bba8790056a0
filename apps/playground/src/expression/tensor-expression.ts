import * as tf from '@tensorflow/tfjs-core';
import type { ExpressionNode, FunctionName } from './ast';

type Value = number | tf.Tensor;

/** Tensor inputs and plain numbers a compiled formula reads. */
export type TensorBindings = Readonly<Record<string, tf.Tensor | number>>;

const UNARY: Readonly<Partial<Record<FunctionName, [(x: number) => number, (x: tf.Tensor) => tf.Tensor]>>> = {
  cos: [Math.cos, tf.cos],
  sin: [Math.sin, tf.sin],
  tan: [Math.tan, tf.tan],
  acos: [Math.acos, tf.acos],
  asin: [Math.asin, tf.asin],
  atan: [Math.atan, tf.atan],
  sqrt: [Math.sqrt, tf.sqrt],
  exp: [Math.exp, tf.exp],
  log: [Math.log, tf.log],
  abs: [Math.abs, tf.abs],
  floor: [Math.floor, tf.floor],
  ceil: [Math.ceil, tf.ceil],
  sign: [Math.sign, tf.sign],
};

/**
 * Evaluates a formula on tensors with tfjs ops, so the result is differentiable by tfjs
 * autodiff: the same tree that {@link compileExpression} turns into a float64 closure.
 * Sub-expressions that read no tensor are folded to numbers in float64. Call inside `tf.tidy`.
 *
 * @example
 * const t = tf.tidy(() => evaluateTensorExpression(tree, { theta: thetas, m: 0.5 }));
 */
export function evaluateTensorExpression(node: ExpressionNode, bindings: TensorBindings): tf.Tensor | number {
  return evaluate(node, bindings);
}

function evaluate(node: ExpressionNode, b: TensorBindings): Value {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'constant':
      return node.name === 'pi' ? Math.PI : Math.E;
    case 'variable':
      return b[node.name] ?? Number.NaN;
    case 'unary': {
      const x = evaluate(node.operand, b);
      if (node.op === '+') return x;
      return typeof x === 'number' ? -x : tf.neg(x);
    }
    case 'binary':
      return binary(node.op, evaluate(node.left, b), evaluate(node.right, b));
    case 'conditional': {
      const test = evaluate(node.test, b);
      const then = evaluate(node.then, b);
      const otherwise = evaluate(node.otherwise, b);
      if (typeof test === 'number') return Number.isNaN(test) ? Number.NaN : test !== 0 ? then : otherwise;
      const shape = test.shape;
      const yes = typeof then === 'number' ? tf.fill(shape, then) : tf.broadcastTo(then, shape);
      const no = typeof otherwise === 'number' ? tf.fill(shape, otherwise) : tf.broadcastTo(otherwise, shape);
      // Both branches are computed; tf.where routes the gradient to the taken one only.
      return tf.where(tf.cast(test, 'bool'), yes, no);
    }
    case 'call': {
      const args = node.args.map((arg) => evaluate(arg, b));
      const unary = UNARY[node.name];
      if (unary !== undefined) {
        const x = args[0] as Value;
        return typeof x === 'number' ? unary[0](x) : unary[1](x);
      }
      switch (node.name) {
        case 'min':
          return args.reduce((acc, x) => pairwise(acc, x, Math.min, tf.minimum));
        case 'max':
          return args.reduce((acc, x) => pairwise(acc, x, Math.max, tf.maximum));
        case 'pow':
          return binary('^', args[0] as Value, args[1] as Value);
        case 'clamp': {
          const [x, lo, hi] = args as [Value, Value, Value];
          return pairwise(pairwise(x, lo, Math.max, tf.maximum), hi, Math.min, tf.minimum);
        }
        default:
          return Number.NaN;
      }
    }
  }
}

function pairwise(
  a: Value,
  b: Value,
  scalar: (a: number, b: number) => number,
  tensor: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): Value {
  if (typeof a === 'number' && typeof b === 'number') return scalar(a, b);
  return tensor(toTensor(a), toTensor(b));
}

function toTensor(value: Value): tf.Tensor {
  return typeof value === 'number' ? tf.scalar(value) : value;
}

function binary(op: string, a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return a / b;
      case '^':
        return Math.pow(a, b);
      default:
        if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
        return compareNumbers(op, a, b) ? 1 : 0;
    }
  }
  const x = toTensor(a);
  const y = toTensor(b);
  switch (op) {
    case '+':
      return tf.add(x, y);
    case '-':
      return tf.sub(x, y);
    case '*':
      return tf.mul(x, y);
    case '/':
      return tf.div(x, y);
    case '^':
      return tf.pow(x, y);
    default:
      return compareTensors(op, x, y);
  }
}

/**
 * Comparisons written with `greaterEqual` only: it is the one comparison kernel tfjs gives a
 * (zero) gradient, so a formula with a branch stays differentiable by autodiff.
 */
function compareTensors(op: string, x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const ge = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.cast(tf.greaterEqual(a, b), 'float32');
  switch (op) {
    case '<':
      return tf.sub(1, ge(x, y));
    case '<=':
      return ge(y, x);
    case '>':
      return tf.sub(1, ge(y, x));
    case '>=':
      return ge(x, y);
    case '==':
      return tf.mul(ge(x, y), ge(y, x));
    default:
      return tf.sub(1, tf.mul(ge(x, y), ge(y, x)));
  }
}

function compareNumbers(op: string, a: number, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    default:
      return a !== b;
  }
}

/** The syntax tree of a formula. Positions index the source string. */
export type ExpressionNode =
  | { readonly kind: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly kind: 'variable'; readonly name: string; readonly start: number; readonly end: number }
  | { readonly kind: 'constant'; readonly name: ConstantName; readonly start: number; readonly end: number }
  | {
      readonly kind: 'unary';
      readonly op: '-' | '+';
      readonly operand: ExpressionNode;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: ExpressionNode;
      readonly right: ExpressionNode;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: 'conditional';
      readonly test: ExpressionNode;
      readonly then: ExpressionNode;
      readonly otherwise: ExpressionNode;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: 'call';
      readonly name: FunctionName;
      readonly args: readonly ExpressionNode[];
      readonly start: number;
      readonly end: number;
    };

export type BinaryOperator = '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=';

export type ConstantName = 'pi' | 'e';

export type FunctionName =
  | 'cos'
  | 'sin'
  | 'tan'
  | 'acos'
  | 'asin'
  | 'atan'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'abs'
  | 'floor'
  | 'ceil'
  | 'sign'
  | 'min'
  | 'max'
  | 'pow'
  | 'clamp';

/** How many arguments each function takes: [fewest, most]. */
export const FUNCTION_ARITY: Readonly<Record<FunctionName, readonly [number, number]>> = {
  cos: [1, 1],
  sin: [1, 1],
  tan: [1, 1],
  acos: [1, 1],
  asin: [1, 1],
  atan: [1, 1],
  sqrt: [1, 1],
  exp: [1, 1],
  log: [1, 1],
  abs: [1, 1],
  floor: [1, 1],
  ceil: [1, 1],
  sign: [1, 1],
  min: [2, 8],
  max: [2, 8],
  pow: [2, 2],
  clamp: [3, 3],
};

export const FUNCTION_NAMES = Object.keys(FUNCTION_ARITY) as FunctionName[];
export const CONSTANT_NAMES: readonly ConstantName[] = ['pi', 'e'];

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTION_ARITY, name);
}

export function isConstantName(name: string): name is ConstantName {
  return name === 'pi' || name === 'e';
}

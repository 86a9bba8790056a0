export type { ExpressionNode, BinaryOperator, FunctionName, ConstantName } from './ast';
export { FUNCTION_NAMES, CONSTANT_NAMES, FUNCTION_ARITY } from './ast';
export {
  ExpressionSyntaxError,
  UnknownNameError,
  ExpressionTooComplexError,
  isExpressionError,
  type ExpressionError,
} from './expression-errors';
export { tokenize, MAX_EXPRESSION_LENGTH, type Token } from './tokenize';
export { parseExpression, MAX_EXPRESSION_DEPTH, type ParseOptions } from './parse';
export { compileExpression, variablesOf, type Bindings, type CompiledExpression } from './evaluate';
export { formatExpression } from './format-expression';
export { evaluateTensorExpression, type TensorBindings } from './tensor-expression';

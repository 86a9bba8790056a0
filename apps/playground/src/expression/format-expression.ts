import type { ExpressionNode } from './ast';

/**
 * Writes a syntax tree back as text with every operation parenthesised, so the page can show
 * how a formula was read (`2θ^2` → `(2 * (theta ^ 2))`). Parsing the output gives the same tree.
 *
 * @example
 * formatExpression(parseExpression('-θ^2', { variables: ['theta'] })); // '(-(theta ^ 2))'
 */
export function formatExpression(node: ExpressionNode): string {
  switch (node.kind) {
    case 'number':
      return formatNumber(node.value);
    case 'variable':
    case 'constant':
      return node.name;
    case 'unary':
      return `(${node.op}${formatExpression(node.operand)})`;
    case 'binary':
      return `(${formatExpression(node.left)} ${node.op} ${formatExpression(node.right)})`;
    case 'conditional':
      return `(${formatExpression(node.test)} ? ${formatExpression(node.then)} : ${formatExpression(node.otherwise)})`;
    case 'call':
      return `${node.name}(${node.args.map(formatExpression).join(', ')})`;
  }
}

function formatNumber(value: number): string {
  // String(1e21) is '1e+21', which the tokenizer reads back; Infinity cannot come from a parse.
  return String(value);
}

import {
  CONSTANT_NAMES,
  FUNCTION_ARITY,
  FUNCTION_NAMES,
  isConstantName,
  isFunctionName,
  type BinaryOperator,
  type ExpressionNode,
} from './ast';
import { ExpressionSyntaxError, ExpressionTooComplexError, UnknownNameError } from './expression-errors';
import { tokenize, type OperatorText, type Token } from './tokenize';

export interface ParseOptions {
  /** Names the formula may read, e.g. `['theta', 'm', 's']`. */
  readonly variables: readonly string[];
}

/** Deepest nesting accepted; recursion deeper than this could overflow the stack. */
export const MAX_EXPRESSION_DEPTH = 64;

const COMPARISONS = new Set<OperatorText>(['<', '<=', '>', '>=', '==', '!=']);

/**
 * Reads a formula into a syntax tree, without `eval` or `Function`: a recursive-descent parser
 * over a fixed grammar, where only the listed variables, `pi`, `e` and a fixed set of maths
 * functions can be named. Precedence, loosest first: `c ? a : b`, comparisons (give 1 or 0),
 * `+ -`, `* /` and juxtaposition (`2θ`, `m1 θ`), unary `-`, `^` (right-associative, so
 * `-θ^2 = -(θ^2)` and `2^3^2 = 2^9`).
 *
 * @example
 * const tree = parseExpression('cos(m1·θ + m2) − m3', { variables: ['theta', 'm1', 'm2', 'm3'] });
 * tree.kind; // 'binary'
 */
export function parseExpression(source: string, options: ParseOptions): ExpressionNode {
  return new Parser(tokenize(source), options.variables).parseAll();
}

class Parser {
  private index = 0;
  private depth = 0;
  private readonly variables: ReadonlySet<string>;

  constructor(
    private readonly tokens: readonly Token[],
    variables: readonly string[],
  ) {
    this.variables = new Set(variables);
  }

  parseAll(): ExpressionNode {
    if (this.peek().type === 'end') throw new ExpressionSyntaxError('the formula is empty', 0);
    const node = this.parseConditional();
    const next = this.peek();
    if (next.type !== 'end') {
      throw new ExpressionSyntaxError(`unexpected ${describe(next)} at position ${next.start + 1}`, next.start, next.end);
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private advance(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index += 1;
    return token;
  }

  private isOperator(value: OperatorText): boolean {
    const token = this.peek();
    return token.type === 'operator' && token.value === value;
  }

  private expectOperator(value: OperatorText, context: string): Token {
    const token = this.peek();
    if (token.type === 'operator' && token.value === value) return this.advance();
    throw new ExpressionSyntaxError(
      `expected '${value}' ${context} but found ${describe(token)} at position ${token.start + 1}`,
      token.start,
      token.end,
    );
  }

  private enter(): void {
    this.depth += 1;
    if (this.depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionTooComplexError(`formula nests deeper than ${MAX_EXPRESSION_DEPTH} levels`);
    }
  }

  private parseConditional(): ExpressionNode {
    this.enter();
    const test = this.parseComparison();
    let result = test;
    if (this.isOperator('?')) {
      this.advance();
      const then = this.parseConditional();
      this.expectOperator(':', "after the 'then' branch of '?'");
      const otherwise = this.parseConditional();
      result = { kind: 'conditional', test, then, otherwise, start: test.start, end: otherwise.end };
    }
    this.depth -= 1;
    return result;
  }

  private parseComparison(): ExpressionNode {
    const left = this.parseAdditive();
    const token = this.peek();
    if (token.type !== 'operator' || !COMPARISONS.has(token.value)) return left;
    this.advance();
    const right = this.parseAdditive();
    const after = this.peek();
    if (after.type === 'operator' && COMPARISONS.has(after.value)) {
      // `a < b < c` means different things in different languages: refuse rather than guess.
      throw new ExpressionSyntaxError(
        `comparisons cannot be chained (position ${after.start + 1}); use a ? b : c`,
        after.start,
        after.end,
      );
    }
    return { kind: 'binary', op: token.value as BinaryOperator, left, right, start: left.start, end: right.end };
  }

  private parseAdditive(): ExpressionNode {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'operator' || (token.value !== '+' && token.value !== '-')) return left;
      this.advance();
      const right = this.parseMultiplicative();
      left = { kind: 'binary', op: token.value, left, right, start: left.start, end: right.end };
    }
  }

  private parseMultiplicative(): ExpressionNode {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.type === 'operator' && (token.value === '*' || token.value === '/')) {
        this.advance();
        const right = this.parseUnary();
        left = { kind: 'binary', op: token.value, left, right, start: left.start, end: right.end };
      } else if (token.type === 'number' || token.type === 'name' || (token.type === 'operator' && token.value === '(')) {
        // Juxtaposition is multiplication, as on paper: 2θ, m1 θ, 2(θ + m).
        const right = this.parsePower();
        left = { kind: 'binary', op: '*', left, right, start: left.start, end: right.end };
      } else {
        return left;
      }
    }
  }

  private parseUnary(): ExpressionNode {
    const token = this.peek();
    if (token.type === 'operator' && (token.value === '-' || token.value === '+')) {
      this.advance();
      this.enter();
      const operand = this.parseUnary();
      this.depth -= 1;
      return { kind: 'unary', op: token.value, operand, start: token.start, end: operand.end };
    }
    return this.parsePower();
  }

  private parsePower(): ExpressionNode {
    const base = this.parsePrimary();
    if (!this.isOperator('^')) return base;
    this.advance();
    this.enter();
    // The exponent may carry its own sign (2^-1) and is right-associative (2^3^2 = 2^(3^2)).
    const exponent = this.parseUnary();
    this.depth -= 1;
    return { kind: 'binary', op: '^', left: base, right: exponent, start: base.start, end: exponent.end };
  }

  private parsePrimary(): ExpressionNode {
    const token = this.advance();
    if (token.type === 'number') {
      return { kind: 'number', value: token.value, start: token.start, end: token.end };
    }
    if (token.type === 'name') return this.parseName(token);
    if (token.type === 'operator' && token.value === '(') {
      const inner = this.parseConditional();
      const close = this.expectOperator(')', `to close the '(' at position ${token.start + 1}`);
      return { ...inner, start: token.start, end: close.end };
    }
    if (token.type === 'end') {
      throw new ExpressionSyntaxError('the formula ends too early: a value is missing', token.start);
    }
    throw new ExpressionSyntaxError(
      `expected a number, a name or '(' but found ${describe(token)} at position ${token.start + 1}`,
      token.start,
      token.end,
    );
  }

  private parseName(token: Extract<Token, { type: 'name' }>): ExpressionNode {
    const name = token.value;
    if (isFunctionName(name)) {
      if (!this.isOperator('(')) {
        throw new ExpressionSyntaxError(`${name} needs parentheses: ${name}(…)`, token.start, token.end);
      }
      this.advance();
      this.enter();
      const args: ExpressionNode[] = [this.parseConditional()];
      while (this.isOperator(',')) {
        this.advance();
        args.push(this.parseConditional());
      }
      this.depth -= 1;
      const close = this.expectOperator(')', `to close ${name}(`);
      const [fewest, most] = FUNCTION_ARITY[name];
      if (args.length < fewest || args.length > most) {
        const wanted = fewest === most ? `${fewest}` : `${fewest} to ${most}`;
        throw new ExpressionSyntaxError(
          `${name} takes ${wanted} argument${most === 1 ? '' : 's'}, got ${args.length}`,
          token.start,
          close.end,
        );
      }
      return { kind: 'call', name, args, start: token.start, end: close.end };
    }
    if (this.variables.has(name)) return { kind: 'variable', name, start: token.start, end: token.end };
    if (isConstantName(name)) return { kind: 'constant', name, start: token.start, end: token.end };
    throw new UnknownNameError(
      name,
      [...this.variables, ...CONSTANT_NAMES, ...FUNCTION_NAMES.map((f) => `${f}()`)],
      token.start,
      token.end,
    );
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'the end of the formula';
    case 'number':
      return `the number ${token.value}`;
    case 'name':
      return `'${token.value}'`;
    default:
      return `'${token.value}'`;
  }
}

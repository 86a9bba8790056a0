import { ExpressionSyntaxError, ExpressionTooComplexError } from './expression-errors';

export type Token =
  | { readonly type: 'number'; readonly value: number; readonly start: number; readonly end: number }
  | { readonly type: 'name'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly type: 'operator'; readonly value: OperatorText; readonly start: number; readonly end: number }
  | { readonly type: 'end'; readonly start: number; readonly end: number };

export type OperatorText =
  | '+'
  | '-'
  | '*'
  | '/'
  | '^'
  | '<'
  | '<='
  | '>'
  | '>='
  | '=='
  | '!='
  | '?'
  | ':'
  | ','
  | '('
  | ')';

/** The longest formula accepted: far more than any margin needs, small enough to parse instantly. */
export const MAX_EXPRESSION_LENGTH = 2000;

// Symbols people paste from papers and from the page's own formula labels, mapped to ASCII.
const SYMBOL_ALIASES: Readonly<Record<string, string>> = {
  'θ': 'theta',
  'ϑ': 'theta',
  'λ': 'lambda',
  'π': 'pi',
};
const OPERATOR_ALIASES: Readonly<Record<string, OperatorText>> = {
  '−': '-', // U+2212 minus sign
  '·': '*',
  '×': '*',
  '⋅': '*',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
};

const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const TWO_CHAR_OPERATORS = new Set(['<=', '>=', '==', '!=', '**']);
const ONE_CHAR_OPERATORS = new Set(['+', '-', '*', '/', '^', '<', '>', '?', ':', ',', '(', ')']);

/**
 * Splits a formula into tokens. Accepts ASCII and the usual typeset symbols (θ, λ, π, −, ·, ×, ≤, ≥).
 *
 * @example
 * tokenize('cos(θ + m)').map((t) => t.type); // ['name', 'operator', 'name', 'operator', 'name', 'operator', 'end']
 */
export function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionTooComplexError(
      `formula has ${source.length} characters; at most ${MAX_EXPRESSION_LENGTH} are accepted`,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const rest = source.slice(i);
    const number = NUMBER.exec(rest);
    if (number) {
      const text = number[0];
      tokens.push({ type: 'number', value: Number(text), start: i, end: i + text.length });
      i += text.length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      const text = name[0];
      tokens.push({ type: 'name', value: text, start: i, end: i + text.length });
      i += text.length;
      continue;
    }
    const alias = SYMBOL_ALIASES[ch];
    if (alias !== undefined) {
      tokens.push({ type: 'name', value: alias, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    const operatorAlias = OPERATOR_ALIASES[ch];
    if (operatorAlias !== undefined) {
      tokens.push({ type: 'operator', value: operatorAlias, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    const two = rest.slice(0, 2);
    if (TWO_CHAR_OPERATORS.has(two)) {
      // `**` is the JavaScript/Python spelling of `^`.
      const value = (two === '**' ? '^' : two) as OperatorText;
      tokens.push({ type: 'operator', value, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPERATORS.has(ch)) {
      tokens.push({ type: 'operator', value: ch as OperatorText, start: i, end: i + 1 });
      i += 1;
      continue;
    }
    throw new ExpressionSyntaxError(`unexpected character '${ch}' at position ${i + 1}`, i);
  }
  tokens.push({ type: 'end', start: source.length, end: source.length });
  return tokens;
}

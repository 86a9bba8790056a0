import { ArcfaceError } from '@arcface/core';

/**
 * A formula that could not be read. `start`/`end` index the offending characters of the source,
 * so the page can underline them.
 */
export class ExpressionSyntaxError extends ArcfaceError {
  readonly start: number;
  readonly end: number;
  constructor(message: string, start: number, end: number = start + 1) {
    super('ERR_EXPRESSION_SYNTAX', message);
    this.start = start;
    this.end = end;
  }
}

/** A name that is neither a known variable, constant nor function. */
export class UnknownNameError extends ArcfaceError {
  readonly start: number;
  readonly end: number;
  readonly unknownName: string;
  constructor(name: string, known: readonly string[], start: number, end: number) {
    super('ERR_EXPRESSION_UNKNOWN_NAME', `'${name}' is not a known name; known: ${known.join(', ')}`);
    this.unknownName = name;
    this.start = start;
    this.end = end;
  }
}

/** A formula longer or deeper than the parser accepts (keeps a pasted blob from hanging the page). */
export class ExpressionTooComplexError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_EXPRESSION_TOO_COMPLEX', message);
  }
}

/** Any error a formula can raise while being read. */
export type ExpressionError = ExpressionSyntaxError | UnknownNameError | ExpressionTooComplexError;

export function isExpressionError(error: unknown): error is ExpressionError {
  return (
    error instanceof ExpressionSyntaxError ||
    error instanceof UnknownNameError ||
    error instanceof ExpressionTooComplexError
  );
}

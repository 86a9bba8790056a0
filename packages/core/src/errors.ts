/**
 * Base class of every error this library throws on purpose. `code` is stable across
 * releases, so callers can branch on it; the message names the offending value.
 */
export class ArcfaceError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value outside what a function accepts: a shape, a range, a dtype, a NaN. */
export class InvalidArgumentError extends ArcfaceError {
  /** `code` lets the narrower classes below keep `instanceof InvalidArgumentError`. */
  constructor(message: string, options?: { cause?: unknown }, code = 'ERR_INVALID_ARGUMENT') {
    super(code, message, options);
  }
}

/** Two inputs whose shapes do not fit together. */
export class ShapeMismatchError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_SHAPE_MISMATCH', message);
  }
}

/** An input with nothing in it where at least one element is needed. */
export class EmptyInputError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, undefined, 'ERR_EMPTY_INPUT');
  }
}

/** A NaN where a number is needed: refused rather than silently propagated into a metric. */
export class NotANumberError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, undefined, 'ERR_NAN');
  }
}

/** Input that is well-formed but admits no unique answer (coincident points, a single class). */
export class DegenerateInputError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, undefined, 'ERR_DEGENERATE_INPUT');
  }
}

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
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** Two inputs whose shapes do not fit together. */
export class ShapeMismatchError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_SHAPE_MISMATCH', message);
  }
}

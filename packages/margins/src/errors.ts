import { ArcfaceError } from '@arcface/core';

/**
 * A margin option outside what the margin accepts: an unknown key, m out of range, a
 * non-integer SphereFace m, an unknown boundary policy, s ≤ 0. Code `ERR_MARGIN_OPTION`.
 */
export class MarginOptionError extends ArcfaceError {
  /** The margin whose option was refused. */
  readonly margin: string;
  /** The option's key. */
  readonly option: string;
  constructor(margin: string, option: string, message: string) {
    super('ERR_MARGIN_OPTION', `${margin}: option '${option}' ${message}`);
    this.margin = margin;
    this.option = option;
  }
}

/**
 * `createMargin` was asked for a name nobody registered. The message lists the known names.
 * Code `ERR_UNKNOWN_MARGIN`.
 */
export class UnknownMarginError extends ArcfaceError {
  readonly marginName: string;
  readonly known: readonly string[];
  constructor(name: string, known: readonly string[]) {
    super('ERR_UNKNOWN_MARGIN', `'${name}' is not registered; known: ${known.join(', ')}`);
    this.marginName = name;
    this.known = known;
  }
}

/**
 * `registerMargin` was given another factory under a name that is taken.
 * Pass `{ override: true }` to replace it. Code `ERR_MARGIN_ALREADY_REGISTERED`.
 */
export class MarginAlreadyRegisteredError extends ArcfaceError {
  readonly marginName: string;
  constructor(name: string) {
    super(
      'ERR_MARGIN_ALREADY_REGISTERED',
      `a different margin factory is already registered as '${name}'; pass { override: true } to replace it`,
    );
    this.marginName = name;
  }
}

/**
 * Something that claims to be a margin does not have the shape of one (no `targetLogit`, a
 * name that is not a non-empty string, a factory that is not a function). Code `ERR_INVALID_MARGIN`.
 */
export class InvalidMarginError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_INVALID_MARGIN', message);
  }
}

/**
 * A gradient was needed through plain tfjs ops, but no gradient functions are registered.
 * In Node, `@tensorflow/tfjs-core` alone registers none; importing `@tensorflow/tfjs` or
 * `@tensorflow/tfjs-layers` registers them all. Code `ERR_GRADIENTS_NOT_REGISTERED`.
 */
export class GradientsNotRegisteredError extends ArcfaceError {
  constructor(what: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      'ERR_GRADIENTS_NOT_REGISTERED',
      `${what} needs tfjs gradient functions, and none are registered${detail}. ` +
        `Import '@tensorflow/tfjs' or '@tensorflow/tfjs-layers' once in the application, ` +
        `or give the margin a closed-form targetGradient.`,
      options,
    );
  }
}

/** Labels that are not int32, not 1-D, or outside [0, C). Code `ERR_INVALID_LABELS`. */
export class InvalidLabelsError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_INVALID_LABELS', message);
  }
}

/** NaN or ±Infinity in an input the loss was given. Code `ERR_NON_FINITE_INPUT`. */
export class NonFiniteInputError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_NON_FINITE_INPUT', message);
  }
}

/**
 * A margin state given to `restoreState` (or `RunningState.restore`) that does not fit the
 * margin: a missing or unknown key, a value of the wrong type or length. Nothing is changed when
 * it is thrown. Code `ERR_MARGIN_STATE`.
 */
export class MarginStateError extends ArcfaceError {
  /** The margin whose state was refused. */
  readonly margin: string;
  /** The offending key, or '' for the state as a whole. */
  readonly key: string;
  constructor(margin: string, key: string, message: string) {
    super(
      'ERR_MARGIN_STATE',
      `${margin}: ${key === '' ? 'state' : `state key '${key}'`} ${message}; ` +
        `restore a state read with readState() from a margin of the same name and options`,
    );
    this.margin = margin;
    this.key = key;
  }
}

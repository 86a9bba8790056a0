import { ArcfaceError } from '@arcface/core';

/** `createBackbone` was given a name nobody registered. */
export class UnknownBackboneError extends ArcfaceError {
  readonly backbone: string;
  readonly known: readonly string[];
  constructor(name: string, known: readonly string[]) {
    super('ERR_UNKNOWN_BACKBONE', `backbone '${name}' is not registered; known: ${known.join(', ')}`);
    this.backbone = name;
    this.known = known;
  }
}

/** Options a backbone cannot be built with (an input too small, a width ≤ 0, a bad embedding size). */
export class BackboneOptionsError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_BACKBONE_OPTIONS', message);
  }
}

/** Another factory already holds the name passed to `registerBackbone`. */
export class BackboneRegistrationError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_BACKBONE_REGISTRATION', message);
  }
}

/** Saving or loading a model failed: an unreadable folder, a missing `weights.bin`, a bad URL. */
export class ModelIoError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_IO', message, options);
  }
}

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

/**
 * A model file that cannot be read as what it claims to be: a truncated or corrupt ONNX,
 * zip or pickle, a tensor whose bytes do not match its shape, external data.
 */
export class ModelFormatError extends ArcfaceError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_FORMAT', `${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * An ONNX node (or a model layer, when exporting) this import/export does not translate. Names the
 * node and its op so the user knows what to remove or replace; never a silently different model.
 */
export class UnsupportedModelError extends ArcfaceError {
  readonly node: string;
  readonly op: string;
  constructor(node: string, op: string, message: string) {
    super('ERR_MODEL_UNSUPPORTED', `node '${node}' (${op}): ${message}`);
    this.node = node;
    this.op = op;
  }
}

/** A file's weights do not fit the architecture (recognised or passed as `backbone`). */
export class ArchitectureMismatchError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_ARCHITECTURE_MISMATCH', message);
  }
}

import { ArcfaceError, ShapeMismatchError } from '@arcface/core';

/** An embedding whose length is not the gallery's dimension (the model it was created for). */
export class EmbeddingDimensionError extends ShapeMismatchError {
  readonly expected: number;
  readonly actual: number;
  constructor(message: string, expected: number, actual: number) {
    super(message);
    this.expected = expected;
    this.actual = actual;
  }
}

/** `verify` or `remove` named an identity that has no embedding in the gallery. */
export class UnknownIdentityError extends ArcfaceError {
  readonly identity: string;
  constructor(identity: string, table: string) {
    super(
      'ERR_UNKNOWN_IDENTITY',
      `identity ${JSON.stringify(identity)} is not enrolled in gallery '${table}'; enrol it first or check the spelling (gallery.count() says what is there)`,
    );
    this.identity = identity;
  }
}

/** A call on a gallery after `close()`. */
export class GalleryClosedError extends ArcfaceError {
  constructor(location: string, operation: string) {
    super('ERR_GALLERY_CLOSED', `gallery.${operation}: the gallery at ${location} is closed; open it again with openGallery`);
  }
}

/**
 * The database cannot be reached: a server that refuses or drops the connection, a folder that
 * cannot hold a database. The location in the message never carries a password.
 */
export class GalleryConnectionError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GALLERY_UNREACHABLE', message, options);
  }
}

/**
 * The gallery was created for another model: embeddings of two models live in unrelated spaces,
 * so comparing them would give confident nonsense.
 */
export class ModelMismatchError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_MODEL_MISMATCH', message);
  }
}

/** The database refused a statement (the whole batch it belonged to was rolled back). */
export class GalleryQueryError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GALLERY_QUERY', message, options);
  }
}

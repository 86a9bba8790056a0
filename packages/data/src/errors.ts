import { ArcfaceError } from '@arcface/core';

/**
 * A `.rec` or `.idx` file that does not follow MXNet's RecordIO framing: a wrong magic word,
 * a length running past the end of the file, a split record that never ends, an `.idx` line
 * that is not `key\toffset`, an offset past the end.
 */
export class RecordIOFormatError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RECORDIO_FORMAT', message, options);
  }
}

/** A key asked of a RecordIO reader that its index does not hold. */
export class RecordNotFoundError extends ArcfaceError {
  readonly key: number;
  constructor(key: number) {
    super('ERR_RECORD_NOT_FOUND', `record key ${key} is not in the index`);
    this.key = key;
  }
}

/** A pickle stream that is truncated, malformed or uses an opcode this data-only reader does not know. */
export class PickleFormatError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PICKLE_FORMAT', message, options);
  }
}

/**
 * A pickle that would import or call code (`GLOBAL`, `REDUCE`, `INST`, `OBJ`, `NEWOBJ`, …).
 * The reader refuses it before anything could run: it never resolves or calls a name.
 */
export class UnsafePickleError extends ArcfaceError {
  readonly opcode: string;
  constructor(opcode: string, offset: number, detail = '') {
    super(
      'ERR_PICKLE_UNSAFE',
      `pickle opcode ${opcode} at byte ${offset} would import or call code; refused${detail ? ` (${detail})` : ''}`,
    );
    this.opcode = opcode;
  }
}

/** A verification `.bin` whose pickle is valid data but not `(list of bytes, list of bools)` with 2 images per pair. */
export class VerificationBinError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_VERIFICATION_BIN', message);
  }
}

/** Image bytes that cannot be decoded: empty, truncated, corrupt, or of a format we do not read. */
export class ImageDecodeError extends ArcfaceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_IMAGE_DECODE', message, options);
  }
}

/** An LFW `pairs.txt` that does not follow the header + matched/mismatched line layout. */
export class PairsFormatError extends ArcfaceError {
  constructor(message: string) {
    super('ERR_PAIRS_FORMAT', message);
  }
}

/** Files a dataset names but that are not on disk (pairs.txt entries, an `.idx`, an image folder). */
export class MissingFileError extends ArcfaceError {
  readonly paths: readonly string[];
  constructor(paths: readonly string[], total = paths.length) {
    const shown = paths.slice(0, 5).map((p) => `'${p}'`).join(', ');
    super('ERR_MISSING_FILE', `${total} file(s) not found: ${shown}${total > 5 ? ', …' : ''}`);
    this.paths = paths;
  }
}

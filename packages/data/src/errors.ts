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
    super('ERR_RECORD_NOT_FOUND', `record key ${key} is not in the index; ask only for keys listed in reader.keys`);
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

/**
 * Image bytes that cannot be decoded: empty, truncated, corrupt, or of a format we do not read.
 * `source` names where the bytes came from (a file path, `train.rec record 17`) when known.
 */
export class ImageDecodeError extends ArcfaceError {
  readonly source: string | undefined;
  constructor(message: string, options?: { cause?: unknown; source?: string }) {
    super('ERR_IMAGE_DECODE', options?.source === undefined ? message : `'${options.source}': ${message}`, options);
    this.source = options?.source;
  }
}

/** One image the validation pass could not read: where it is and why. */
export interface BadImage {
  /** Index of the sample in the dataset that was checked. */
  readonly index: number;
  /** The file path, or the container and record key (`train.rec record 17`). */
  readonly source: string;
  /** Why it was refused (the decoder's message). */
  readonly reason: string;
}

/**
 * Images found unreadable by the validation pass under `onBadImage: 'stop'`: every bad one is in
 * `images` (the message shows the first {@link BAD_IMAGES_SHOWN}), found before any training step.
 */
export class BadImagesError extends ArcfaceError {
  readonly images: readonly BadImage[];
  readonly checked: number;
  constructor(images: readonly BadImage[], checked: number) {
    const shown = images.slice(0, BAD_IMAGES_SHOWN).map((b) => `  ${b.source}: ${b.reason}`);
    if (images.length > shown.length) shown.push(`  … and ${images.length - shown.length} more`);
    super(
      'ERR_BAD_IMAGES',
      `${images.length} of ${checked} images cannot be read:\n${shown.join('\n')}\n` +
        "Remove or replace these files, or skip them with onBadImage: 'skip' (CLI: --on-bad-image skip).",
    );
    this.images = images;
    this.checked = checked;
  }
}

/** How many bad images a {@link BadImagesError} message lists; `images` always holds all of them. */
export const BAD_IMAGES_SHOWN = 50;

/**
 * A training set with fewer than two identities: a margin softmax over one class has nothing to
 * separate (its loss is 0 from the first step), so the run would write a useless model.
 */
export class TooFewIdentitiesError extends ArcfaceError {
  readonly identities: number;
  constructor(identities: number, what = 'the training set') {
    super(
      'ERR_TOO_FEW_IDENTITIES',
      `${what} has ${identities} ${identities === 1 ? 'identity' : 'identities'} with images; training needs at least 2 ` +
        '(one sub-folder or class per person): add images of more people.',
    );
    this.identities = identities;
  }
}

/**
 * Puts the name of the input (a file, a record) in front of a typed error's message, keeping its
 * class and code, so a reader deep inside a parser need not know where its bytes came from.
 * Errors already naming the input are left as they are; anything not an `ArcfaceError` is returned
 * untouched for the caller to wrap.
 */
export function nameInput<E>(error: E, input: string, hint?: string): E {
  if (error instanceof ArcfaceError) {
    if (!error.message.includes(input)) error.message = `'${input}': ${error.message}`;
    if (hint !== undefined && !error.message.includes(hint)) error.message = `${error.message}; ${hint}`;
  }
  return error;
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

/**
 * sharp, which decodes JPEG, PNG, GIF and WebP in Node, is not installed. It is an optional peer
 * of `@arcface/data`, so that projects that never decode image files (synthetic faces, RecordIO
 * of raw tensors, the browser) do not install its native binaries.
 */
export class MissingSharpError extends ArcfaceError {
  constructor(cause?: unknown) {
    super('ERR_SHARP_MISSING', "decoding JPEG, PNG, GIF or WebP files needs the 'sharp' package: npm install sharp@0.35.5 (PGM files decode without it)", {
      cause,
    });
  }
}

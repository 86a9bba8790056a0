import { ArcfaceError } from '@arcface/core';

/**
 * A problem with the user's input to the demo or the CLI (a folder, a file, an option), with
 * what to do about it in the message. The CLI prints these without a stack trace.
 */
export class UsageError extends ArcfaceError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A data folder that does not exist or holds no identities. */
export class DataFolderError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DATA_FOLDER', message, options);
  }
}

/** An identity folder without a single image. */
export class EmptyIdentityError extends UsageError {
  constructor(readonly identity: string, readonly folder: string) {
    super('ERR_EMPTY_IDENTITY', `identity '${identity}' in '${folder}' has no images; add images to it or remove the folder`);
  }
}

/** An image file that cannot be decoded. */
export class UnreadableImageError extends UsageError {
  constructor(readonly file: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('ERR_UNREADABLE_IMAGE', `cannot read image '${file}'${reason}; check the file is a JPEG, PNG, GIF, WebP or PGM image, or remove it`, options);
  }
}

import type { Sharp } from 'sharp';
import { InvalidArgumentError, type Point } from '@arcface/core';
import { alignRgbImage } from '../image/align';
import { ImageDecodeError } from '../errors';
import { decodePgm } from '../image/pgm';
import type { FitMode } from '../image/resize';
import { greyToRgb, type RgbImage } from '../image/rgb-image';
import { loadSharp } from './load-sharp';
import { type ImageFormat, sniffImageFormat } from '../image/sniff-format';

export interface DecodeOptions {
  /** Resize to this size (square side, or [height, width]); keep the decoded size when absent. */
  size?: number | readonly [number, number];
  /** `cover` (default) crops the centre to the target aspect; `fill` stretches. */
  fit?: FitMode;
  /**
   * Five landmarks in the decoded image's pixels (eyes, nose, mouth corners): the face is
   * aligned to the ArcFace template instead of resized, at `size` (112 when absent).
   */
  landmarks?: readonly Point[];
  /** Where the bytes came from (a path, `train.rec record 17`): named in every error. */
  source?: string;
}

/** What every decode error tells the user to do about the file. */
export const BAD_IMAGE_HINT = "replace or remove the file, or skip unreadable images with onBadImage: 'skip'";

/**
 * Decodes JPEG, PNG, GIF (first frame) and WebP through sharp, and PGM (P5/P2) by hand, to RGB
 * (grey expanded, alpha dropped), optionally resized. Empty, corrupt, truncated or unknown bytes
 * throw {@link ImageDecodeError}.
 *
 * @example
 * const face = await decodeImage(readFileSync('Anthony_Hopkins_0001.jpg'), { size: 112 });
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  if (options.landmarks !== undefined) {
    const { landmarks, size, ...rest } = options;
    const side = size === undefined ? 112 : typeof size === 'number' ? size : size[0];
    if (typeof size !== 'number' && size !== undefined && size[0] !== size[1]) {
      throw new InvalidArgumentError(`aligned crops are square; got size ${JSON.stringify(size)}`);
    }
    return alignRgbImage(await decodeImage(bytes, rest), landmarks, side);
  }
  const target = options.size === undefined ? undefined : typeof options.size === 'number' ? [options.size, options.size] : options.size;
  if (target && !target.every((s) => Number.isInteger(s) && s >= 1 && s <= 16384)) {
    throw new InvalidArgumentError(`decode size must be positive integers, got ${JSON.stringify(options.size)}`);
  }
  const source = options.source;
  const format = checkedFormat(bytes, source);
  let pipeline: Sharp;
  if (format === 'pgm') {
    const grey = decodePgmFrom(bytes, source);
    if (!target || (grey.height === target[0] && grey.width === target[1])) return grey;
    const sharp = await loadSharp();
    pipeline = sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 3 } });
  } else {
    // failOn 'error': truncated or corrupt data fails instead of decoding to grey garbage.
    const sharp = await loadSharp();
    pipeline = sharp(bytes, { failOn: 'error', animated: false });
  }
  if (target) pipeline = pipeline.resize(target[1], target[0], { fit: options.fit === 'fill' ? 'fill' : 'cover' });
  try {
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 3) return { width: info.width, height: info.height, data: pixels };
    return greyToRgb(pixels, info.width, info.height, info.channels);
  } catch (error) {
    throw new ImageDecodeError(`cannot decode ${format} image of ${bytes.length} bytes: ${firstLine(error)}; ${BAD_IMAGE_HINT}`, {
      cause: error,
      ...(source === undefined ? {} : { source }),
    });
  }
}

/** The sniffed format of non-empty image bytes, or an {@link ImageDecodeError} naming `source`. */
export function checkedFormat(bytes: Uint8Array, source: string | undefined): ImageFormat {
  const named = source === undefined ? {} : { source };
  if (bytes.length === 0) throw new ImageDecodeError(`empty image (0 bytes); ${BAD_IMAGE_HINT}`, named);
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ImageDecodeError(`unknown image format (first bytes ${head}); expected JPEG, PNG, GIF, WebP or PGM; ${BAD_IMAGE_HINT}`, named);
  }
  return format;
}

/** {@link decodePgm} with the source named in its errors. */
export function decodePgmFrom(bytes: Uint8Array, source: string | undefined): RgbImage {
  try {
    return decodePgm(bytes);
  } catch (error) {
    if (error instanceof ImageDecodeError && source !== undefined) {
      throw new ImageDecodeError(`${error.message}; ${BAD_IMAGE_HINT}`, { cause: error, source });
    }
    throw error;
  }
}

/** libvips messages run over several lines; the first says what went wrong. */
export function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] as string;
}

import sharp, { type Sharp } from 'sharp';
import { InvalidArgumentError, type Point } from '@arcface/core';
import { alignRgbImage } from '../image/align';
import { ImageDecodeError } from '../errors';
import { decodePgm } from '../image/pgm';
import type { FitMode } from '../image/resize';
import { greyToRgb, type RgbImage } from '../image/rgb-image';
import { sniffImageFormat } from '../image/sniff-format';

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
}

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
  if (bytes.length === 0) throw new ImageDecodeError('empty image (0 bytes)');
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new ImageDecodeError(`unknown image format (first bytes ${head}); expected JPEG, PNG, GIF, WebP or PGM`);
  }
  let pipeline: Sharp;
  if (format === 'pgm') {
    const grey = decodePgm(bytes);
    if (!target || (grey.height === target[0] && grey.width === target[1])) return grey;
    pipeline = sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 3 } });
  } else {
    // failOn 'error': truncated or corrupt data fails instead of decoding to grey garbage.
    pipeline = sharp(bytes, { failOn: 'error', animated: false });
  }
  if (target) pipeline = pipeline.resize(target[1], target[0], { fit: options.fit === 'fill' ? 'fill' : 'cover' });
  try {
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 3) return { width: info.width, height: info.height, data: pixels };
    return greyToRgb(pixels, info.width, info.height, info.channels);
  } catch (error) {
    throw new ImageDecodeError(`cannot decode ${format} image of ${bytes.length} bytes: ${(error as Error).message}`, { cause: error });
  }
}

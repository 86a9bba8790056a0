import { ImageDecodeError } from '../errors';
import type { ImageFormat } from '../image/sniff-format';
import { BAD_IMAGE_HINT, checkedFormat, decodePgmFrom, decodeImage, firstLine } from './decode-image';
import { loadSharp } from './load-sharp';

/** How far from the end an end marker may sit: some writers append a short trailer after it. */
const TRAILER_SLACK = 4096;

/**
 * Checks encoded image bytes without decoding their pixels: the signature, the header as libvips
 * parses it (size, channels), and the end marker of the format (JPEG `FF D9`, PNG `IEND`, GIF
 * `;`, WebP's RIFF length), which a truncated download or copy loses. PGM is small and read by
 * hand, so it is decoded whole. With `decode: true` the pixels are decoded too (slower, and
 * also finds corrupt data in the middle of a file). Throws {@link ImageDecodeError} naming
 * `source`; returns the format and size.
 *
 * @example
 * await checkImageBytes(await readFile(path), { source: path });
 */
export async function checkImageBytes(
  bytes: Uint8Array,
  options: { source?: string; decode?: boolean } = {},
): Promise<{ format: ImageFormat; width: number; height: number }> {
  const { source } = options;
  const named = source === undefined ? {} : { source };
  const format = checkedFormat(bytes, source);
  if (format === 'pgm') {
    const { width, height } = decodePgmFrom(bytes, source);
    return { format, width, height };
  }
  const missingEnd = endMarkerProblem(format, bytes);
  if (missingEnd !== undefined) throw new ImageDecodeError(`${missingEnd}: the file is truncated; ${BAD_IMAGE_HINT}`, named);
  let width: number | undefined;
  let height: number | undefined;
  try {
    const sharp = await loadSharp();
    ({ width, height } = await sharp(bytes, { failOn: 'error', animated: false }).metadata());
  } catch (error) {
    throw new ImageDecodeError(`cannot read the ${format} header: ${firstLine(error)}; ${BAD_IMAGE_HINT}`, { cause: error, ...named });
  }
  if (!(width !== undefined && height !== undefined && width >= 1 && height >= 1)) {
    throw new ImageDecodeError(`the ${format} header gives no image size (${width}x${height}); ${BAD_IMAGE_HINT}`, named);
  }
  if (options.decode === true) await decodeImage(bytes, named);
  return { format, width, height };
}

/** Why the bytes cannot be a whole file of `format`, or undefined when its end marker is there. */
function endMarkerProblem(format: Exclude<ImageFormat, 'pgm'>, bytes: Uint8Array): string | undefined {
  const tail = bytes.subarray(Math.max(0, bytes.length - TRAILER_SLACK));
  if (format === 'jpeg') {
    // Entropy-coded data stuffs every FF with 00, so FF D9 there can only be the real end marker.
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return undefined;
    return 'no JPEG end marker (FF D9)';
  }
  if (format === 'png') {
    for (let i = tail.length - 4; i >= 0; i--) {
      if (tail[i] === 0x49 && tail[i + 1] === 0x45 && tail[i + 2] === 0x4e && tail[i + 3] === 0x44) return undefined;
    }
    return 'no PNG IEND chunk';
  }
  if (format === 'gif') {
    for (let i = tail.length - 1; i >= Math.max(0, tail.length - 64); i--) if (tail[i] === 0x3b) return undefined;
    return 'no GIF trailer (3B)';
  }
  const riffLength = bytes.length >= 8 ? new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true) : 0;
  return riffLength + 8 <= bytes.length ? undefined : `WebP RIFF length says ${riffLength + 8} bytes, the file has ${bytes.length}`;
}

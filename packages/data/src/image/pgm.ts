import { ImageDecodeError } from '../errors';
import type { RgbImage } from './rgb-image';
import { greyToRgb } from './rgb-image';

/**
 * Decodes a PGM (Netpbm grey map), binary `P5` or ASCII `P2`, to RGB. sharp/libvips cannot read
 * PGM, and the ORL face set is PGM. `#` comments in the header are skipped; 16-bit samples
 * (maxval > 255, big-endian in P5) and any maxval are scaled to 0–255.
 *
 * @example
 * const { width, height } = decodePgm(readFileSync('orl/s1/1.pgm')); // 92 x 112
 */
export function decodePgm(bytes: Uint8Array): RgbImage {
  if (bytes.length < 2 || bytes[0] !== 0x50 || (bytes[1] !== 0x35 && bytes[1] !== 0x32)) {
    throw new ImageDecodeError(`not a PGM file: starts with ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 2)))} (expected P5 or P2)`);
  }
  const binary = bytes[1] === 0x35;
  let pos = 2;
  const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
  const readNumber = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos])) pos++;
      if (bytes[pos] === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    let value = 0;
    while (pos < bytes.length && (bytes[pos] as number) >= 0x30 && (bytes[pos] as number) <= 0x39 && pos - start < 9) {
      value = value * 10 + ((bytes[pos] as number) - 0x30);
      pos++;
    }
    if (pos === start) throw new ImageDecodeError(`PGM: expected the ${what} at byte ${start}`);
    return value;
  };
  const width = readNumber('width');
  const height = readNumber('height');
  const maxval = readNumber('maxval');
  if (width < 1 || height < 1 || width * height > 1 << 28) throw new ImageDecodeError(`PGM: invalid size ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new ImageDecodeError(`PGM: maxval ${maxval} is outside 1…65535`);
  const n = width * height;
  const grey = new Uint8Array(n);
  const wide = maxval > 255;
  if (binary) {
    // Exactly one whitespace byte separates the header from the raster.
    if (!isSpace(bytes[pos])) throw new ImageDecodeError(`PGM: no whitespace after maxval at byte ${pos}`);
    pos++;
    const need = n * (wide ? 2 : 1);
    if (bytes.length - pos < need) {
      throw new ImageDecodeError(`PGM: truncated raster, ${bytes.length - pos} of ${need} bytes for ${width}x${height}`);
    }
    for (let i = 0; i < n; i++) {
      const v = wide ? ((bytes[pos + 2 * i] as number) << 8) | (bytes[pos + 2 * i + 1] as number) : (bytes[pos + i] as number);
      grey[i] = scale(v, maxval);
    }
  } else {
    for (let i = 0; i < n; i++) grey[i] = scale(readNumber(`sample ${i}`), maxval);
  }
  return greyToRgb(grey, width, height);
}

function scale(v: number, maxval: number): number {
  if (v > maxval) throw new ImageDecodeError(`PGM: sample ${v} exceeds maxval ${maxval}`);
  return maxval === 255 ? v : Math.round((v * 255) / maxval);
}

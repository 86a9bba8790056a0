import { InvalidArgumentError } from '@arcface/core';
import { checkRgbImage, type RgbImage } from './rgb-image';

/** How an image meets a target size: `cover` crops the centre to the target's aspect, `fill` stretches. */
export type FitMode = 'cover' | 'fill';

/** A crop box in pixels of the source image (may be fractional). */
export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Samples `box` of `image` onto a `width × height` grid by bilinear interpolation (pixel
 * centres aligned, edges clamped), optionally mirrored left–right. This one routine does
 * resize, crop, random-resized-crop and flip.
 *
 * @example
 * const small = cropResize(img, { x: 0, y: 0, width: img.width, height: img.height }, 56, 56);
 */
export function cropResize(image: RgbImage, box: CropBox, width: number, height: number, flip = false): RgbImage {
  checkRgbImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidArgumentError(`target size must be positive integers, got ${width}x${height}`);
  }
  if (!(box.width > 0 && box.height > 0) || ![box.x, box.y].every(Number.isFinite)) {
    throw new InvalidArgumentError(`crop box must have a positive size, got ${JSON.stringify(box)}`);
  }
  const src = image.data;
  const sw = image.width;
  const sh = image.height;
  const out = new Uint8Array(width * height * 3);
  const fx = box.width / width;
  const fy = box.height / height;
  const xs0 = new Int32Array(width);
  const xs1 = new Int32Array(width);
  const wx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const ox = flip ? width - 1 - x : x;
    let sx = box.x + (ox + 0.5) * fx - 0.5;
    sx = sx < 0 ? 0 : sx > sw - 1 ? sw - 1 : sx;
    const x0 = Math.floor(sx);
    xs0[x] = x0 * 3;
    xs1[x] = Math.min(x0 + 1, sw - 1) * 3;
    wx[x] = sx - x0;
  }
  let p = 0;
  for (let y = 0; y < height; y++) {
    let sy = box.y + (y + 0.5) * fy - 0.5;
    sy = sy < 0 ? 0 : sy > sh - 1 ? sh - 1 : sy;
    const y0 = Math.floor(sy);
    const r0 = y0 * sw * 3;
    const r1 = Math.min(y0 + 1, sh - 1) * sw * 3;
    const wy = sy - y0;
    for (let x = 0; x < width; x++) {
      const a = xs0[x] as number;
      const c = xs1[x] as number;
      const w = wx[x] as number;
      for (let k = 0; k < 3; k++) {
        const top = (src[r0 + a + k] as number) + ((src[r0 + c + k] as number) - (src[r0 + a + k] as number)) * w;
        const bottom = (src[r1 + a + k] as number) + ((src[r1 + c + k] as number) - (src[r1 + a + k] as number)) * w;
        out[p++] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}

/**
 * Resizes to `width × height`. `cover` (default) first crops the centred largest box of the
 * target's aspect ratio, so faces are not distorted; `fill` stretches.
 */
export function resizeImage(image: RgbImage, width: number, height: number, fit: FitMode = 'cover'): RgbImage {
  if (image.width === width && image.height === height) return image;
  return cropResize(image, fit === 'cover' ? centreBox(image.width, image.height, width / height) : fullBox(image), width, height);
}

/** Mirrors an image left–right. */
export function flipHorizontal(image: RgbImage): RgbImage {
  checkRgbImage(image);
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width, height, data: out };
}

export function fullBox(image: RgbImage): CropBox {
  return { x: 0, y: 0, width: image.width, height: image.height };
}

/** The largest centred box of aspect `aspect` (width / height) inside a `width × height` image. */
export function centreBox(width: number, height: number, aspect: number): CropBox {
  if (width / height > aspect) {
    const w = height * aspect;
    return { x: (width - w) / 2, y: 0, width: w, height };
  }
  const h = width / aspect;
  return { x: 0, y: (height - h) / 2, width, height: h };
}

import { InvalidArgumentError } from '@arcface/core';

/** A decoded image: interleaved 8-bit RGB, row-major, `width × height × 3` bytes. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Throws {@link InvalidArgumentError} unless `image` has positive integer sizes and matching bytes. */
export function checkRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidArgumentError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new InvalidArgumentError(`a ${width}x${height} RGB image has ${width * height * 3} bytes, got ${data.length}`);
  }
}

/**
 * Expands one-channel grey (or grey + alpha when `channels` is 2) to RGB by repeating the grey.
 * Any other channel count keeps its first three channels (alpha dropped).
 *
 * @example
 * greyToRgb(new Uint8Array([0, 255]), 2, 1).data; // [0, 0, 0, 255, 255, 255]
 */
export function greyToRgb(pixels: Uint8Array, width: number, height: number, channels = 1): RgbImage {
  const n = width * height;
  if (pixels.length !== n * channels) {
    throw new InvalidArgumentError(`${width}x${height}x${channels} pixels need ${n * channels} bytes, got ${pixels.length}`);
  }
  const data = new Uint8Array(n * 3);
  if (channels <= 2) {
    for (let i = 0; i < n; i++) {
      const v = pixels[i * channels] as number;
      data[3 * i] = v;
      data[3 * i + 1] = v;
      data[3 * i + 2] = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      data[3 * i] = pixels[i * channels] as number;
      data[3 * i + 1] = pixels[i * channels + 1] as number;
      data[3 * i + 2] = pixels[i * channels + 2] as number;
    }
  }
  return { width, height, data };
}

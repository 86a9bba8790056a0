import { EmptyInputError, InvalidArgumentError, NotANumberError, ShapeMismatchError } from '../errors';
import { invertAffine, type AffineMatrix } from './affine-matrix';

/** Pixel storage {@link warpAffine} reads and writes. */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array;

/** An interleaved image, row-major: pixel (x, y) channel k is `data[(y·width + x)·channels + k]`. */
export interface ImageBuffer<T extends PixelArray = PixelArray> {
  data: T;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB), 4 (RGBA), or any other count. */
  channels: number;
}

/** Options of {@link warpAffine}. */
export interface WarpAffineOptions {
  /** Value of every channel outside the source image (OpenCV's constant border). Default 0. */
  borderValue?: number;
}

function checkImage(image: ImageBuffer): void {
  const { width, height, channels, data } = image;
  for (const [name, v] of [['width', width], ['height', height], ['channels', channels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`warpAffine: image ${name} must be a positive integer, got ${v}`);
  }
  if (data.length !== width * height * channels) {
    throw new ShapeMismatchError(`warpAffine: ${width}×${height}×${channels} image needs ${width * height * channels} values, got ${data.length}`);
  }
}

/**
 * Resamples `image` into a `size` image through `matrix`, which maps source pixels to output
 * pixels (OpenCV's `cv2.warpAffine(img, M, dsize)`, the call insightface's `norm_crop` makes).
 * Each output pixel (u, v) reads the source at M⁻¹·(u, v) with bilinear interpolation of its four
 * neighbours; neighbours outside the image count as `borderValue`. Pixel centres sit at integer
 * coordinates, as in OpenCV and the landmark detectors. Plain TypeScript, no canvas.
 *
 * OpenCV quantises the sample position to 1/32 pixel and its weights to 1/1024; this computes
 * both in float64, so a byte may differ from OpenCV's by one. Integer outputs are rounded to
 * nearest and clamped to [0, 255].
 *
 * @example
 * const crop = warpAffine({ data: rgb, width: 640, height: 480, channels: 3 }, alignmentMatrix(landmarks), 112);
 */
export function warpAffine<T extends PixelArray>(
  image: ImageBuffer<T>,
  matrix: AffineMatrix,
  size: number | { width: number; height: number },
  options: WarpAffineOptions = {},
): ImageBuffer<T> {
  checkImage(image);
  const width = typeof size === 'number' ? size : size.width;
  const height = typeof size === 'number' ? size : size.height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EmptyInputError(`warpAffine: output size must be positive integers, got ${width}×${height}`);
  }
  if (matrix.flat().some((v) => !Number.isFinite(v))) throw new NotANumberError(`warpAffine: matrix ${JSON.stringify(matrix)} is not finite`);
  const border = options.borderValue ?? 0;
  const [[ia, ib, itx], [ic, id, ity]] = invertAffine(matrix);
  const { data: src, width: sw, height: sh, channels } = image;
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(width * height * channels);
  const integer = !(src instanceof Float32Array);
  const acc = new Float64Array(channels);
  const tap = (x: number, y: number, w: number) => {
    if (w === 0) return;
    if (x < 0 || y < 0 || x >= sw || y >= sh) {
      for (let k = 0; k < channels; k++) acc[k] = (acc[k] as number) + w * border;
      return;
    }
    const base = (y * sw + x) * channels;
    for (let k = 0; k < channels; k++) acc[k] = (acc[k] as number) + w * (src[base + k] as number);
  };
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const x = ia * u + ib * v + itx;
      const y = ic * u + id * v + ity;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      acc.fill(0);
      tap(x0, y0, (1 - fx) * (1 - fy));
      tap(x0 + 1, y0, fx * (1 - fy));
      tap(x0, y0 + 1, (1 - fx) * fy);
      tap(x0 + 1, y0 + 1, fx * fy);
      const base = (v * width + u) * channels;
      for (let k = 0; k < channels; k++) {
        const value = acc[k] as number;
        out[base + k] = integer ? Math.min(255, Math.max(0, Math.round(value))) : value;
      }
    }
  }
  return { data: out, width, height, channels };
}

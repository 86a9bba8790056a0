import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import { checkRgbImage, type RgbImage } from './rgb-image';

/**
 * insightface's input normalisation, (x / 255 − 0.5) / 0.5 = x / 127.5 − 1: bytes 0…255 to
 * [−1, 1]. A lookup table keeps it exact and fast.
 */
const NORMALISED = Float32Array.from({ length: 256 }, (_, x) => (x / 255 - 0.5) / 0.5);

/** Writes the normalised pixels of `image` into `out` at `offset` (NHWC order). */
export function normaliseInto(image: RgbImage, out: Float32Array, offset: number): void {
  const data = image.data;
  for (let i = 0; i < data.length; i++) out[offset + i] = NORMALISED[data[i] as number] as number;
}

/**
 * Stacks same-sized RGB images into a float32 tensor `[N, H, W, 3]` normalised to [−1, 1] as
 * insightface does ((x/255 − 0.5)/0.5). The normalisation runs in JavaScript, so the call
 * makes exactly one tensor, the result.
 *
 * @example
 * const x = imagesToTensor([faces.image(0), faces.image(1)].map((data) => ({ width: 112, height: 112, data })));
 */
export function imagesToTensor(images: readonly RgbImage[]): tf.Tensor4D {
  if (images.length === 0) throw new InvalidArgumentError('imagesToTensor needs at least one image');
  const first = images[0] as RgbImage;
  const { width, height } = first;
  const per = width * height * 3;
  const out = new Float32Array(images.length * per);
  images.forEach((image, i) => {
    checkRgbImage(image);
    if (image.width !== width || image.height !== height) {
      throw new InvalidArgumentError(`image ${i} is ${image.width}x${image.height}, image 0 is ${width}x${height}; resize them first`);
    }
    normaliseInto(image, out, i * per);
  });
  return tf.tensor4d(out, [images.length, height, width, 3], 'float32');
}

/**
 * The same normalisation for pixels already in a tensor (any shape, values 0…255, e.g. from
 * `tf.browser.fromPixels`): returns float32 (x/255 − 0.5)/0.5.
 */
export function normalizeImageTensor<T extends tf.Tensor>(pixels: T): T {
  return tf.tidy(() => tf.div(tf.sub(tf.div(tf.cast(pixels, 'float32'), 255), 0.5), 0.5) as T);
}

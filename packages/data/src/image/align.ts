import { alignFace, InvalidArgumentError, type Point } from '@arcface/core';
import type { RgbImage } from './rgb-image';

/**
 * The ArcFace crop of an RGB face: a `size`×`size` image whose five landmarks (left eye, right
 * eye, nose, left mouth corner, right mouth corner, in source pixels) land on the ArcFace
 * template — insightface's `norm_crop`, through `@arcface/core`'s similarity transform.
 *
 * @example
 * const crop = alignRgbImage(photo, [[96, 112], [152, 111], [124, 140], [101, 168], [148, 167]]);
 */
export function alignRgbImage(image: RgbImage, landmarks: readonly Point[], size = 112): RgbImage {
  if (landmarks.length !== 5) {
    throw new InvalidArgumentError(`alignment needs 5 landmarks (eyes, nose, mouth corners), got ${landmarks.length}`);
  }
  const crop = alignFace({ data: image.data, width: image.width, height: image.height, channels: 3 }, landmarks, size);
  return { width: crop.width, height: crop.height, data: crop.data };
}

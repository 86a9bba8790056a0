import { alignmentMatrix } from './alignment-matrix';
import type { Point } from './arcface-template';
import { warpAffine, type ImageBuffer, type PixelArray, type WarpAffineOptions } from './warp-affine';

/**
 * The ArcFace crop of a face: the `size`×`size` image whose five landmarks sit on the template
 * (insightface's `norm_crop`).
 *
 * @example
 * const crop = alignFace(image, [[210, 250], [290, 248], [252, 300], [220, 345], [285, 343]]);
 */
export function alignFace<T extends PixelArray>(
  image: ImageBuffer<T>,
  landmarks: readonly Point[],
  size = 112,
  options: WarpAffineOptions = {},
): ImageBuffer<T> {
  return warpAffine(image, alignmentMatrix(landmarks, size), size, options);
}

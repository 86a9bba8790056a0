import { InvalidArgumentError, ShapeMismatchError } from '../errors';
import type { AffineMatrix } from './affine-matrix';
import { ARCFACE_TEMPLATE_112, type Point } from './arcface-template';
import { estimateSimilarityTransform } from './similarity-transform';

/**
 * The five-point template for a `size`×`size` crop, as insightface's `estimate_norm` scales it:
 * a multiple of 112 scales the 112 template by size/112; a multiple of 128 scales it by
 * size/128 and moves it 8·size/128 pixels right (the 112 face centred in a 128 frame).
 *
 * @example
 * arcfaceTemplate(224)[0] // [76.5892, 103.3926]
 */
export function arcfaceTemplate(size = 112): Point[] {
  let ratio: number;
  let shift = 0;
  if (Number.isInteger(size) && size > 0 && size % 112 === 0) ratio = size / 112;
  else if (Number.isInteger(size) && size > 0 && size % 128 === 0) {
    ratio = size / 128;
    shift = 8 * ratio;
  } else throw new InvalidArgumentError(`arcfaceTemplate: size must be a positive multiple of 112 or 128, got ${size}`);
  return ARCFACE_TEMPLATE_112.map(([x, y]) => [x * ratio + shift, y * ratio] as const);
}

/**
 * The similarity transform from five detected landmarks (left eye, right eye, nose, left and
 * right mouth corner, in image pixels) to the ArcFace template of a `size`×`size` crop;
 * feed it to {@link warpAffine}.
 *
 * @example
 * const m = alignmentMatrix([[210, 250], [290, 248], [252, 300], [220, 345], [285, 343]]);
 * const crop = warpAffine(image, m, 112);
 */
export function alignmentMatrix(landmarks: readonly Point[], size = 112): AffineMatrix {
  if (landmarks.length !== 5) throw new ShapeMismatchError(`alignmentMatrix: expected 5 landmarks, got ${landmarks.length}`);
  return estimateSimilarityTransform(landmarks, arcfaceTemplate(size));
}

import { DegenerateInputError } from '../errors';
import type { Point } from './arcface-template';

/**
 * A 2×3 affine matrix [[a, b, tx], [c, d, ty]] mapping (x, y) to (a·x + b·y + tx, c·x + d·y + ty),
 * the layout of OpenCV's `warpAffine` and of insightface's `estimate_norm`.
 */
export type AffineMatrix = readonly [readonly [number, number, number], readonly [number, number, number]];

/** Applies an affine matrix to points. @example transformPoints([[1, 0, 5], [0, 1, 0]], [[1, 2]]) // [[6, 2]] */
export function transformPoints(m: AffineMatrix, points: readonly Point[]): Point[] {
  const [[a, b, tx], [c, d, ty]] = m;
  return points.map(([x, y]) => [a * x + b * y + tx, c * x + d * y + ty] as const);
}

/** The inverse affine map. @example invertAffine([[2, 0, 4], [0, 2, 0]]) // [[0.5, 0, -2], [0, 0.5, 0]] */
export function invertAffine(m: AffineMatrix): AffineMatrix {
  const [[a, b, tx], [c, d, ty]] = m;
  const det = a * d - b * c;
  if (det === 0 || !Number.isFinite(det)) {
    throw new DegenerateInputError(`invertAffine: the matrix [[${a}, ${b}], [${c}, ${d}]] is not invertible (det ${det})`);
  }
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [
    [ia, ib, -(ia * tx + ib * ty)],
    [ic, id, -(ic * tx + id * ty)],
  ];
}

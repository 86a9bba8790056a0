import { DegenerateInputError, EmptyInputError, NotANumberError, ShapeMismatchError } from '../errors';
import type { AffineMatrix } from './affine-matrix';
import type { Point } from './arcface-template';

function checkPoints(points: readonly Point[], what: string): void {
  points.forEach(([x, y], i) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new NotANumberError(`estimateSimilarityTransform: ${what}[${i}] is (${x}, ${y}), not a finite point`);
    }
  });
}

/**
 * The similarity transform (rotation, uniform scale, translation; never a reflection) that maps
 * `src` onto `dst` with the least squared error: Umeyama (1991), as scikit-image's
 * `SimilarityTransform.estimate` computes it for insightface's `estimate_norm`.
 *
 * In 2-D Umeyama's SVD solution has a closed form. With centred points written as complex
 * numbers x_i, y_i, the singular values of the cross-covariance are √(α²+β²) ± √(γ²+δ²), and the
 * reflection guard (the sign flip d when det < 0) always leaves scale·R = Σ conj(x_i)·y_i / Σ|x_i|²:
 * the rotation by arg(Σ conj(x_i)·y_i) and the scale |Σ conj(x_i)·y_i| / Σ|x_i|². That is what
 * this computes: no SVD, no sign ambiguity, and exact recovery of an exact similarity.
 *
 * @example
 * const m = estimateSimilarityTransform(detectedLandmarks, ARCFACE_TEMPLATE_112);
 * // m = [[s·cos φ, −s·sin φ, tx], [s·sin φ, s·cos φ, ty]]
 */
export function estimateSimilarityTransform(src: readonly Point[], dst: readonly Point[]): AffineMatrix {
  const fn = 'estimateSimilarityTransform';
  if (src.length !== dst.length) throw new ShapeMismatchError(`${fn}: ${src.length} source points but ${dst.length} destination points`);
  if (src.length === 0) throw new EmptyInputError(`${fn}: no points`);
  checkPoints(src, 'src');
  checkPoints(dst, 'dst');
  const n = src.length;
  let mxs = 0;
  let mys = 0;
  let mxd = 0;
  let myd = 0;
  for (let i = 0; i < n; i++) {
    mxs += src[i]![0];
    mys += src[i]![1];
    mxd += dst[i]![0];
    myd += dst[i]![1];
  }
  mxs /= n;
  mys /= n;
  mxd /= n;
  myd /= n;
  // re + i·im = Σ conj(x)·y; spread = Σ|x|² over centred points.
  let re = 0;
  let im = 0;
  let spread = 0;
  for (let i = 0; i < n; i++) {
    const xs = src[i]![0] - mxs;
    const ys = src[i]![1] - mys;
    const xd = dst[i]![0] - mxd;
    const yd = dst[i]![1] - myd;
    re += xs * xd + ys * yd;
    im += xs * yd - ys * xd;
    spread += xs * xs + ys * ys;
  }
  if (spread === 0) throw new DegenerateInputError(`${fn}: all ${n} source points coincide at (${mxs}, ${mys})`);
  if (re === 0 && im === 0) {
    throw new DegenerateInputError(`${fn}: the destination points carry no rotation or scale (they coincide, or cancel out)`);
  }
  const a = re / spread;
  const b = im / spread;
  return [
    [a, -b, mxd - (a * mxs - b * mys)],
    [b, a, myd - (b * mxs + a * mys)],
  ];
}

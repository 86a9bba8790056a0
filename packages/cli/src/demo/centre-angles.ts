import { createRng } from '@arcface/data';

import { normalizeRows } from './statistics';

/**
 * The smallest angle (degrees) between any two of `classes` rows of a row-major `[classes, d]`
 * matrix, in float64; ±x is not identified (antipodal rows are 180° apart).
 *
 * @example
 * ```ts
 * minimumPairAngle(new Float32Array([1, 0, 0, 1]), 2, 2); // 90
 * ```
 */
export function minimumPairAngle(rows: ArrayLike<number>, classes: number, d: number): number {
  const unit = normalizeRows(rows, d);
  let best = -1;
  for (let i = 0; i < classes; i += 1) {
    for (let j = i + 1; j < classes; j += 1) {
      let dot = 0;
      for (let k = 0; k < d; k += 1) dot += (unit[i * d + k] as number) * (unit[j * d + k] as number);
      if (dot > best) best = dot;
    }
  }
  return (Math.acos(Math.min(1, Math.max(-1, best))) * 180) / Math.PI;
}

/**
 * The expected smallest pairwise angle of `classes` directions drawn uniformly on the sphere
 * in `d` dimensions (isotropic normal rows), averaged over `draws` seeded draws: the value a
 * trained set of centres should beat.
 *
 * @example
 * ```ts
 * randomCentresMinimumAngle(8, 64, { draws: 200, seed: 1 }); // ≈ 62°
 * ```
 */
export function randomCentresMinimumAngle(classes: number, d: number, options: { draws?: number; seed?: number } = {}): number {
  const draws = options.draws ?? 200;
  const rng = createRng(options.seed ?? 1).fork(`random-centres-${classes}-${d}`);
  const rows = new Float64Array(classes * d);
  let sum = 0;
  for (let t = 0; t < draws; t += 1) {
    for (let i = 0; i < rows.length; i += 1) rows[i] = rng.normal();
    sum += minimumPairAngle(rows, classes, d);
  }
  return sum / draws;
}

/**
 * The mean over rows of the smallest angle (degrees) to another row: the paper's W-Inter.
 *
 * @example
 * ```ts
 * meanNearestAngle(new Float32Array([1, 0, 0, 1, -1, 0]), 3, 2); // 90
 * ```
 */
export function meanNearestAngle(rows: ArrayLike<number>, classes: number, d: number): number {
  const unit = normalizeRows(rows, d);
  let sum = 0;
  for (let i = 0; i < classes; i += 1) {
    let best = -1;
    for (let j = 0; j < classes; j += 1) {
      if (j === i) continue;
      let dot = 0;
      for (let k = 0; k < d; k += 1) dot += (unit[i * d + k] as number) * (unit[j * d + k] as number);
      if (dot > best) best = dot;
    }
    sum += Math.acos(Math.min(1, Math.max(-1, best)));
  }
  return (sum / classes) * (180 / Math.PI);
}

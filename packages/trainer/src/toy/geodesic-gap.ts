import { InvalidArgumentError } from '@arcface/core';

/** Geometry of a toy run's features, in degrees (the paper's Fig. 3 and Table 3). */
export interface ToyGeometry {
  /**
   * The geodesic gap between the nearest classes: for two classes, the angle between their mean
   * directions minus the angular radius of each (the angle from its mean direction to its
   * farthest sample), i.e. the empty arc left between the two caps that hold them. The smallest
   * over all pairs. Negative when the caps overlap (plain softmax); clearly positive when a
   * margin has opened the paper's gap. The same definition in 2-D (arcs on the circle) and 3-D.
   */
  readonly gapDegrees: number;
  /** The two classes with that gap, smaller id first. */
  readonly nearestPair: readonly [number, number];
  /** Intra: mean angle from each sample to its class's mean direction. */
  readonly intraDegrees: number;
  /** The largest angular radius of a class (angle from a sample to its class's mean direction). */
  readonly maxSpreadDegrees: number;
  /** Inter: mean over classes of the smallest angle between its mean direction and another's. */
  readonly interDegrees: number;
}

const DEG = 180 / Math.PI;

/**
 * Measures gap, spread and separation of `labels.length` features of dimension `dimension`
 * (row-major in `features`). Features are L2-normalised here, so raw network outputs can be
 * passed. Classes without samples are ignored; at least two must have samples.
 *
 * @example
 * ```ts
 * measureToyGeometry([1, 0, 0, 1], [0, 1], 2).gapDegrees; // 90
 * ```
 */
export function measureToyGeometry(features: ArrayLike<number>, labels: ArrayLike<number>, dimension: number): ToyGeometry {
  const count = labels.length;
  if (!Number.isInteger(dimension) || dimension < 1) throw new InvalidArgumentError(`measureToyGeometry: dimension must be a positive integer, got ${dimension}`);
  if (features.length !== count * dimension) {
    throw new InvalidArgumentError(`measureToyGeometry: features has ${features.length} values; ${count} labels × dimension ${dimension} needs ${count * dimension}`);
  }
  let classes = 0;
  for (let i = 0; i < count; i += 1) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0) throw new InvalidArgumentError(`measureToyGeometry: label ${i} is ${label}, not a class id ≥ 0`);
    classes = Math.max(classes, label + 1);
  }
  const unit = new Float64Array(count * dimension);
  for (let i = 0; i < count; i += 1) {
    if (!unitRow(features, i, dimension, unit)) {
      throw new InvalidArgumentError(`measureToyGeometry: feature ${i} is zero or not finite, so it has no direction`);
    }
  }
  const sums = new Float64Array(classes * dimension);
  const sizes = new Int32Array(classes);
  for (let i = 0; i < count; i += 1) {
    const c = labels[i] as number;
    sizes[c] = (sizes[c] as number) + 1;
    for (let k = 0; k < dimension; k += 1) sums[c * dimension + k] = (sums[c * dimension + k] as number) + (unit[i * dimension + k] as number);
  }
  const present = Array.from({ length: classes }, (_, c) => c).filter((c) => (sizes[c] as number) > 0);
  if (present.length < 2) throw new InvalidArgumentError(`measureToyGeometry: needs at least 2 classes with samples, got ${present.length}`);
  const centres = new Float64Array(classes * dimension);
  // A class whose samples cancel out has no mean direction; its first sample stands in.
  for (const c of present) if (!unitRow(sums, c, dimension, centres)) centres.set(unit.subarray(firstOf(labels, c) * dimension, (firstOf(labels, c) + 1) * dimension), c * dimension);

  const radius = new Float64Array(classes);
  let intraSum = 0;
  for (let i = 0; i < count; i += 1) {
    const c = labels[i] as number;
    const angle = angleBetween(unit, i, centres, c, dimension);
    intraSum += angle;
    radius[c] = Math.max(radius[c] as number, angle);
  }

  let gap = Number.POSITIVE_INFINITY;
  let nearestPair: [number, number] = [present[0] as number, present[1] as number];
  let interSum = 0;
  for (const a of present) {
    let nearestCentre = Number.POSITIVE_INFINITY;
    for (const b of present) {
      if (a === b) continue;
      const apart = angleBetween(centres, a, centres, b, dimension);
      nearestCentre = Math.min(nearestCentre, apart);
      const between = apart - (radius[a] as number) - (radius[b] as number);
      if (a < b && between < gap) {
        gap = between;
        nearestPair = [a, b];
      }
    }
    interSum += nearestCentre;
  }
  return {
    gapDegrees: gap * DEG,
    nearestPair,
    intraDegrees: (intraSum / count) * DEG,
    maxSpreadDegrees: Math.max(...present.map((c) => radius[c] as number)) * DEG,
    interDegrees: (interSum / present.length) * DEG,
  };
}

/** Writes row `r` of `values` scaled to unit length into the same row of `out`; false when it has no direction. */
function unitRow(values: ArrayLike<number>, r: number, dimension: number, out: Float64Array): boolean {
  let norm = 0;
  for (let k = 0; k < dimension; k += 1) norm += (values[r * dimension + k] as number) ** 2;
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) return false;
  for (let k = 0; k < dimension; k += 1) out[r * dimension + k] = (values[r * dimension + k] as number) / norm;
  return true;
}

function firstOf(labels: ArrayLike<number>, c: number): number {
  for (let i = 0; i < labels.length; i += 1) if (labels[i] === c) return i;
  return -1;
}

function angleBetween(a: Float64Array, i: number, b: Float64Array, j: number, dimension: number): number {
  // For unit vectors the angle is 2·asin(|a − b| / 2): accurate at every angle, unlike acos of
  // the dot product near 0, where rounding would hide how close two clusters come.
  let normSq = 0;
  for (let k = 0; k < dimension; k += 1) normSq += ((a[i * dimension + k] as number) - (b[j * dimension + k] as number)) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(normSq) / 2));
}

/** Geometry of a toy run's features, in degrees (the paper's Table 3 and Fig. 3). */
export interface ToyGeometry {
  /**
   * The geodesic gap between the nearest classes: the smallest angle between two samples of
   * different identities. Near 0 where classes touch (softmax); clearly positive with a margin.
   */
  readonly gapDegrees: number;
  /** The two identities whose samples come closest. */
  readonly nearestPair: readonly [number, number];
  /** Intra: mean angle from each sample to its identity's feature centre. */
  readonly intraDegrees: number;
  /** Largest angle from a sample to its identity's feature centre. */
  readonly maxSpreadDegrees: number;
  /** Inter: mean over identities of the smallest angle between its feature centre and another's. */
  readonly interDegrees: number;
}

/**
 * Measures gap, spread and separation of `count` features of dimension `dim` (row-major in
 * `features`), each labelled 0..classes−1. Features are L2-normalised here, so raw network
 * outputs can be passed. Classes without samples are ignored.
 *
 * @example
 * const g = measureToyGeometry(new Float32Array([1, 0, 0, 1]), new Int32Array([0, 1]), 2, 2);
 * g.gapDegrees; // 90
 */
export function measureToyGeometry(
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  dim: number,
  classes: number,
): ToyGeometry {
  const count = labels.length;
  if (features.length !== count * dim) {
    throw new RangeError(`features has ${features.length} values; ${count} labels × dim ${dim} needs ${count * dim}`);
  }
  const unit = normalizeRows(features, count, dim);
  const centres = new Float64Array(classes * dim);
  const sizes = new Int32Array(classes);
  for (let i = 0; i < count; i += 1) {
    const label = labels[i] as number;
    sizes[label] = (sizes[label] as number) + 1;
    for (let k = 0; k < dim; k += 1) centres[label * dim + k] = (centres[label * dim + k] as number) + (unit[i * dim + k] as number);
  }
  const unitCentres = normalizeRows(centres, classes, dim);

  let intraSum = 0;
  let maxSpread = 0;
  for (let i = 0; i < count; i += 1) {
    const angle = angleBetween(unit, i, unitCentres, labels[i] as number, dim);
    intraSum += angle;
    maxSpread = Math.max(maxSpread, angle);
  }

  let interSum = 0;
  let present = 0;
  for (let a = 0; a < classes; a += 1) {
    if (sizes[a] === 0) continue;
    let nearest = Infinity;
    for (let b = 0; b < classes; b += 1) {
      if (b === a || sizes[b] === 0) continue;
      nearest = Math.min(nearest, angleBetween(unitCentres, a, unitCentres, b, dim));
    }
    if (Number.isFinite(nearest)) {
      interSum += nearest;
      present += 1;
    }
  }

  let gap = Infinity;
  let pair: [number, number] = [-1, -1];
  for (let i = 0; i < count; i += 1) {
    for (let j = i + 1; j < count; j += 1) {
      if (labels[i] === labels[j]) continue;
      const angle = angleBetween(unit, i, unit, j, dim);
      if (angle < gap) {
        gap = angle;
        const [a, b] = [labels[i] as number, labels[j] as number];
        pair = a < b ? [a, b] : [b, a];
      }
    }
  }

  return {
    gapDegrees: Number.isFinite(gap) ? toDegrees(gap) : Number.NaN,
    nearestPair: pair,
    intraDegrees: count > 0 ? toDegrees(intraSum / count) : Number.NaN,
    maxSpreadDegrees: toDegrees(maxSpread),
    interDegrees: present > 0 ? toDegrees(interSum / present) : Number.NaN,
  };
}

function normalizeRows(values: ArrayLike<number>, rows: number, dim: number): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r += 1) {
    let norm = 0;
    for (let k = 0; k < dim; k += 1) norm += (values[r * dim + k] as number) ** 2;
    norm = Math.sqrt(norm);
    // A zero row (empty class) stays zero instead of becoming NaN.
    const inv = norm > 0 ? 1 / norm : 0;
    for (let k = 0; k < dim; k += 1) out[r * dim + k] = (values[r * dim + k] as number) * inv;
  }
  return out;
}

function angleBetween(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  // For unit vectors the angle is 2·asin(|a − b| / 2): accurate at every angle, unlike acos of
  // the dot product near 0, where float rounding would hide how close two clusters come.
  let normSq = 0;
  for (let k = 0; k < dim; k += 1) normSq += ((a[i * dim + k] as number) - (b[j * dim + k] as number)) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(normSq) / 2));
}

function toDegrees(radians: number): number {
  return (radians * 180) / Math.PI;
}

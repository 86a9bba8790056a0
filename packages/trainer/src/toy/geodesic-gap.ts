import { InvalidArgumentError } from '@arcface/core';

/** What {@link measureCircleGeometry} finds in 2-D features. */
export interface CircleGeometry {
  /** Smallest gap in degrees between the angular ranges of neighbouring classes; negative when they overlap. */
  readonly gapDegrees: number;
  /** The two neighbouring classes where that gap is. */
  readonly nearest: readonly [number, number];
  /** Mean absolute angle in degrees between each feature and its class's mean direction. */
  readonly intraDegrees: number;
  /** Mean direction of each class in degrees, in [0, 360), indexed by class. */
  readonly directions: readonly number[];
}

const DEG = 180 / Math.PI;

/** An angle in degrees wrapped into (−180, 180]. */
function wrap(degrees: number): number {
  const r = ((degrees % 360) + 360) % 360;
  return r > 180 ? r - 360 : r;
}

/**
 * Measures 2-D features on the circle, as the paper's toy experiment (Fig. 3) shows them: each
 * class covers an arc from its most clockwise to its most counter-clockwise feature around the
 * class's mean direction; going round the circle, the gap between two neighbouring classes is
 * the angle from the end of one arc to the start of the next. The smallest such gap is the
 * margin the loss actually opened between the nearest classes (negative: the arcs overlap).
 *
 * @example
 * ```ts
 * const { gapDegrees } = measureCircleGeometry([[1, 0], [0, 1]], [0, 1]); // 90
 * ```
 */
export function measureCircleGeometry(features: ReadonlyArray<readonly [number, number]>, labels: ArrayLike<number>): CircleGeometry {
  if (features.length !== labels.length) {
    throw new InvalidArgumentError(`measureCircleGeometry: ${features.length} features but ${labels.length} labels`);
  }
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  if (classes.length < 2) throw new InvalidArgumentError(`measureCircleGeometry: needs at least 2 classes, got ${classes.length}`);
  const size = (classes[classes.length - 1] as number) + 1;
  const sumX = new Float64Array(size);
  const sumY = new Float64Array(size);
  const angles = features.map(([x, y], i) => {
    if (!Number.isFinite(x) || !Number.isFinite(y) || (x === 0 && y === 0)) {
      throw new InvalidArgumentError(`measureCircleGeometry: feature ${i} is (${x}, ${y}), which has no direction`);
    }
    const norm = Math.hypot(x, y);
    const c = labels[i] as number;
    sumX[c] = (sumX[c] as number) + x / norm;
    sumY[c] = (sumY[c] as number) + y / norm;
    return Math.atan2(y, x) * DEG;
  });
  const directions = Array.from({ length: size }, (_, c) => (((Math.atan2(sumY[c] as number, sumX[c] as number) * DEG) % 360) + 360) % 360);
  const low = new Float64Array(size).fill(Number.POSITIVE_INFINITY);
  const high = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  let intraSum = 0;
  angles.forEach((a, i) => {
    const c = labels[i] as number;
    const offset = wrap(a - (directions[c] as number));
    low[c] = Math.min(low[c] as number, offset);
    high[c] = Math.max(high[c] as number, offset);
    intraSum += Math.abs(offset);
  });
  const around = [...classes].sort((a, b) => (directions[a] as number) - (directions[b] as number));
  let gapDegrees = Number.POSITIVE_INFINITY;
  let nearest: [number, number] = [around[0] as number, around[1] as number];
  around.forEach((c, k) => {
    const next = around[(k + 1) % around.length] as number;
    // Counter-clockwise distance between the two mean directions, in [0, 360).
    const apart = ((((directions[next] as number) - (directions[c] as number)) % 360) + 360) % 360;
    const gap = apart - (high[c] as number) + (low[next] as number);
    if (gap < gapDegrees) {
      gapDegrees = gap;
      nearest = [c, next];
    }
  });
  return { gapDegrees, nearest, intraDegrees: intraSum / angles.length, directions };
}

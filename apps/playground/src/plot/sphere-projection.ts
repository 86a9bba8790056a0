/** Where a point of the unit sphere lands on screen, and how near the viewer it is. */
export interface ProjectedPoint {
  /** Horizontal, in [-1, 1], right positive. */
  readonly u: number;
  /** Vertical, in [-1, 1], up positive. */
  readonly v: number;
  /** Towards the viewer, in [-1, 1]: positive on the visible hemisphere. */
  readonly depth: number;
}

/**
 * Orthographic view of the sphere after turning it by `yaw` about the vertical axis and then
 * `pitch` about the horizontal one (radians). Orthographic keeps the angles near the centre of
 * the view true, which is what the toy plot is about.
 *
 * @example
 * projectSphere([0, 0, 1], 0, 0); // { u: 0, v: 0, depth: 1 }
 */
export function projectSphere(point: readonly [number, number, number], yaw: number, pitch: number): ProjectedPoint {
  const [x, y, z] = point;
  const cy = Math.cos(yaw);
  const sy = Math.sin(yaw);
  const x1 = cy * x + sy * z;
  const z1 = -sy * x + cy * z;
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  const y2 = cp * y - sp * z1;
  const z2 = sp * y + cp * z1;
  return { u: x1, v: y2, depth: z2 };
}

/**
 * Trigonometry from + − × ÷ and `Math.sqrt` only. `Math.sin`, `Math.atan`, … may differ in the
 * last bit between JavaScript engines; IEEE 754 fixes the basic operations and the square root,
 * so these give the same bits everywhere, and the synthetic faces the same bytes in Node and in
 * every browser. Accuracy (≈1e-6) is far below what 8-bit pixels can show.
 */

const PI = 3.141592653589793;
const TWO_PI = 6.283185307179586;
const HALF_PI = 1.5707963267948966;

/** sin x: reduced to [−π/2, π/2], then its Taylor series to x¹¹ (error < 6e-8). */
export function detSin(x: number): number {
  let r = x - TWO_PI * Math.round(x / TWO_PI);
  if (r > HALF_PI) r = PI - r;
  else if (r < -HALF_PI) r = -PI - r;
  const r2 = r * r;
  return r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * (1 / 362880 + r2 * (-1 / 39916800))))));
}

export function detCos(x: number): number {
  return detSin(x + HALF_PI);
}

/** atan x: odd minimax polynomial on [−1, 1] (error ≈ 1e-5 rad), reflected outside it. */
export function detAtan(x: number): number {
  if (x > 1) return HALF_PI - detAtan(1 / x);
  if (x < -1) return -HALF_PI - detAtan(1 / x);
  const x2 = x * x;
  return x * (0.99997726 + x2 * (-0.33262347 + x2 * (0.19354346 + x2 * (-0.11643287 + x2 * (0.05265332 + x2 * -0.0117212)))));
}

/** asin x for x clamped to [−1, 1]. */
export function detAsin(x: number): number {
  if (x >= 1) return HALF_PI;
  if (x <= -1) return -HALF_PI;
  return detAtan(x / Math.sqrt(1 - x * x));
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

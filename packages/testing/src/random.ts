/**
 * Reproducible values in [-1, 1) from a small linear congruential generator: the same on every
 * backend and every run, so a failing case can be replayed from its seed.
 */
export function seededValues(seed: number, size: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let k = 0; k < size; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = s / 2 ** 31 - 1;
  }
  return out;
}

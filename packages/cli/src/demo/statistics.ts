/** Small numeric helpers on host arrays. */

/** The q-quantile of an ascending array, linear between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

/** Rows of a row-major matrix scaled to unit L2 norm (zero rows stay zero). */
export function normalizeRows(data: ArrayLike<number>, columns: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < data.length / columns; r += 1) {
    let sum = 0;
    for (let c = 0; c < columns; c += 1) sum += (data[r * columns + c] as number) ** 2;
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let c = 0; c < columns; c += 1) out[r * columns + c] = (data[r * columns + c] as number) * inv;
  }
  return out;
}

/** Angle in degrees between rows i of a and j of b (both unit rows of width `columns`). */
export function rowAngle(a: Float64Array, i: number, b: Float64Array, j: number, columns: number): number {
  let dot = 0;
  for (let c = 0; c < columns; c += 1) dot += (a[i * columns + c] as number) * (b[j * columns + c] as number);
  return (Math.acos(Math.min(1, Math.max(-1, dot))) * 180) / Math.PI;
}

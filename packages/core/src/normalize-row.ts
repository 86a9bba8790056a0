// Float64 counterpart of l2Normalize for plain number rows. Not exported from the package.

/** Scales a float64 row to unit length; a zero row stays zero (as scikit-learn's `normalize` leaves it). */
export function normalizeRow(row: Float64Array): Float64Array {
  let sq = 0;
  for (const v of row) sq += v * v;
  const norm = Math.sqrt(sq);
  return norm === 0 ? row.slice() : row.map((v) => v / norm);
}

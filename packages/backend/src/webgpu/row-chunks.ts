/**
 * How many equal chunks to cut the M = N·outHeight·outWidth rows of a filter-gradient product
 * into, so that a GPU has enough independent work.
 *
 * A filter gradient is a product with a short output (Cin × Cout, or one row of C) and a very
 * long reduction (M is 200 704 for a batch of 64 at 56×56). Tiled matrix kernels parallelise
 * over output tiles and loop over the reduction, so such a product keeps a handful of GPU
 * cores busy for the whole loop. Cutting the rows into S chunks makes S independent products
 * (a batched matMul, S · tiles workgroups) whose S partial results are then summed: the same
 * arithmetic, S times the parallelism.
 *
 * @param rows M, the length of the reduction.
 * @param outputTiles workgroups of one product (32×32 output tiles in tfjs' WebGPU matMul).
 * @param targetWorkgroups enough to fill a large GPU a few times over (default 512).
 * @param minRows the shortest chunk worth a workgroup's loop (default 256).
 * @returns S ≥ 1, a divisor of `rows`.
 */
export function rowChunks(rows: number, outputTiles: number, targetWorkgroups = 512, minRows = 256): number {
  const wanted = Math.min(Math.ceil(targetWorkgroups / Math.max(outputTiles, 1)), Math.floor(rows / minRows));
  // The largest divisor of M not above the wish: chunks must be equal for a reshape.
  for (let s = wanted; s > 1; s--) if (rows % s === 0) return s;
  return 1;
}

/** Output tiles of a (rows × cols) product in tfjs' WebGPU matMul (32×32 per workgroup). */
export function matMulTiles(rows: number, cols: number): number {
  return Math.ceil(rows / 32) * Math.ceil(cols / 32);
}

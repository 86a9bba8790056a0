import { createRng } from '../random/rng';

/** Size of the shared noise table: 2^16 normal deviates (256 KiB as float32). */
export const NOISE_TABLE_MASK = (1 << 16) - 1;

let table: Float32Array | undefined;

/** Standard normal deviates (approximate, from a fixed seed), built on first use. */
export function noiseTable(): Float32Array {
  if (table === undefined) {
    const rng = createRng('synthetic-faces/noise');
    table = new Float32Array(NOISE_TABLE_MASK + 1);
    for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  }
  return table;
}

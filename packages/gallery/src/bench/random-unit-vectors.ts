import { InvalidArgumentError } from '@arcface/core';

/**
 * `count` unit vectors drawn uniformly on the sphere (normal coordinates, then normalised) from a
 * seed, the same on every machine. As distractors they measure the index, not a model: random
 * directions in 128+ dimensions are nearly orthogonal to every face, so they are the easy case
 * for rank-1 and the hard case for HNSW (no clusters to navigate).
 */
export function* randomUnitVectors(count: number, dimension: number, seed: number): Generator<Float32Array> {
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`randomUnitVectors: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(dimension) || dimension < 1) throw new InvalidArgumentError(`randomUnitVectors: dimension must be a positive integer, got ${dimension}`);
  // mulberry32: small, fast and well spread; Math.random cannot be seeded.
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let n = 0; n < count; n++) {
    const v = new Float32Array(dimension);
    let sum = 0;
    for (let i = 0; i < dimension; i++) {
      // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
      const x = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
      v[i] = x;
      sum += x * x;
    }
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < dimension; i++) v[i] = (v[i] as number) * scale;
    yield v;
  }
}

import { createRng, hashSeed } from '@arcface/data';

/**
 * Fills `out` with N(0, std²) draws (Box–Muller over a seeded stream), for centres too large to
 * initialise as one tensor. insightface initialises class centres with N(0, 0.01).
 */
export function fillNormal(out: Float32Array, std: number, seed: number): Float32Array {
  const rng = createRng(hashSeed(seed, 'centers'));
  const next = () => rng.next();
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - next();
    const v = next();
    const r = std * Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Seeded standard normal draws made on the host, in float64, keyed by a pair of numbers (a seed
 * and a step). tfjs' own `randomNormal` takes one seed and treats 0 as "no seed" (it then draws
 * from `Math.random`), so seed + step could never be both reproducible and free of collisions
 * (seed 1 at step 0 would repeat seed 0 at step 1). Here every (seed, step) pair, 0 and negative
 * values included, names its own stream, and the values do not depend on the backend.
 *
 * The generator: the float64 bits of seed and step, mixed into a 128-bit state by a murmur3-style
 * finaliser, drive sfc32 (Dootson's small fast counting generator); two 32-bit outputs make a
 * 53-bit uniform, two uniforms make one normal by the Box–Muller transform.
 */
export function seededNormals(count: number, seed: number, step: number): Float64Array {
  const next = sfc32(keyWords(seed, step));
  const uniform = () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992; // [0, 1), 53 bits
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const u1 = 1 - uniform(); // (0, 1]: log(u1) is finite
    const u2 = uniform();
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

/** Four 32-bit words from the float64 bits of seed and step (−0 and 0 alike). */
function keyWords(seed: number, step: number): [number, number, number, number] {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, seed === 0 ? 0 : seed);
  view.setFloat64(8, step === 0 ? 0 : step);
  const words = [0, 4, 8, 12].map((offset) => view.getUint32(offset));
  // Each state word depends on all four key words, so nearby keys give unrelated streams.
  let h = 0x9e3779b9;
  const state = words.map((_, i) => {
    for (const w of words) h = fmix32((h ^ Math.imul(w, 0x85ebca6b)) + i);
    return h;
  });
  return state as [number, number, number, number];
}

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32: a 128-bit state with a counter, so no state is a fixed point. 12 rounds of warm-up. */
function sfc32([a0, b0, c0, d0]: [number, number, number, number]): () => number {
  let a = a0 >>> 0;
  let b = b0 >>> 0;
  let c = c0 >>> 0;
  let d = d0 >>> 0;
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i += 1) next();
  return next;
}

import { InvalidArgumentError } from '@arcface/core';

/** The full state of an {@link Rng}: four unsigned 32-bit words. JSON-serialisable. */
export type RngState = readonly [number, number, number, number];

/** A small, fast, seeded pseudo-random generator whose state can be saved and restored exactly. */
export interface Rng {
  /** Uniform float in [0, 1), 32 bits of randomness. */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number;
  /**
   * Approximately normal N(mean, std²): the sum of four uniforms (Irwin–Hall), rescaled.
   * Uses only + − × ÷, so every JavaScript engine gives the same bits (no `Math.log`/`Math.cos`,
   * whose last bit may differ between engines).
   */
  normal(mean?: number, std?: number): number;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** A copy of the current state; `setState` on it resumes the exact same sequence. */
  getState(): RngState;
  setState(state: RngState): void;
  /** An independent generator derived from this one's seed path and `label` (does not advance this one). */
  fork(label: number | string): Rng;
}

/** Mixes a 32-bit integer (the finaliser of MurmurHash3); used to seed and to derive streams. */
export function hash32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes a seed (number or string) and any number of integer labels into one 32-bit value. */
export function hashSeed(seed: number | string, ...labels: Array<number | string>): number {
  let h = 0x9e3779b9;
  const mix = (part: number | string): void => {
    if (typeof part === 'number') {
      if (!Number.isFinite(part)) throw new InvalidArgumentError(`seed parts must be finite numbers or strings, got ${part}`);
      // Fold the high bits in too, so seeds beyond 2^32 still differ.
      h = hash32(h ^ hash32(part >>> 0) ^ Math.imul(Math.floor(part / 4294967296) | 0, 0x27d4eb2f));
    } else {
      for (let i = 0; i < part.length; i++) h = hash32(h ^ Math.imul(part.charCodeAt(i), 0x01000193));
      h = hash32(h ^ part.length);
    }
  };
  mix(seed);
  for (const label of labels) mix(label);
  return h;
}

/**
 * Creates a seeded generator (sfc32, a 128-bit-state small chaotic generator that passes
 * PractRand; only 32-bit integer operations, so it is bit-identical in every engine).
 *
 * @example
 * const rng = createRng(42);
 * const saved = rng.getState();
 * const a = rng.next();
 * rng.setState(saved);
 * rng.next() === a; // true
 */
export function createRng(seed: number | string): Rng {
  const base = hashSeed(seed);
  return fromWords(base, [hash32(base ^ 0x1), hash32(base ^ 0x2), hash32(base ^ 0x3), 1]);
}

function fromWords(base: number, words: [number, number, number, number]): Rng {
  // State in an Int32Array: plain closure variables holding 32-bit values beyond V8's small
  // integers would be boxed as heap numbers on every step.
  const st = Int32Array.from(words);
  const uint32 = (): number => {
    // sfc32 step.
    const a = st[0] as number;
    const b = st[1] as number;
    const c = st[2] as number;
    const d = st[3] as number;
    const t = (((a + b) | 0) + d) | 0;
    st[3] = d + 1;
    st[0] = b ^ (b >>> 9);
    st[1] = c + (c << 3);
    const rotated = (c << 21) | (c >>> 11);
    st[2] = rotated + t;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
  for (let i = 0; i < 12; i++) uint32();
  const next = (): number => uint32() / 4294967296;
  const rng: Rng = {
    next,
    uint32,
    int(n) {
      if (!(n >= 1) || !Number.isInteger(n)) throw new InvalidArgumentError(`rng.int(n) needs a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    uniform(min, max) {
      return min + (max - min) * next();
    },
    normal(mean = 0, std = 1) {
      // Sum of 4 uniforms has mean 2 and variance 4/12 = 1/3.
      const s = next() + next() + next() + next();
      return mean + std * (s - 2) * 1.7320508075688772;
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = tmp;
      }
      return items;
    },
    getState() {
      return [(st[0] as number) >>> 0, (st[1] as number) >>> 0, (st[2] as number) >>> 0, (st[3] as number) >>> 0];
    },
    setState(state) {
      if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 4294967296)) {
        throw new InvalidArgumentError(`an rng state is four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
      }
      st.set([state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0]);
    },
    fork(label) {
      const derived = hashSeed(base, label);
      return fromWords(derived, [hash32(derived ^ 0x1), hash32(derived ^ 0x2), hash32(derived ^ 0x3), 1]);
    },
  };
  return rng;
}

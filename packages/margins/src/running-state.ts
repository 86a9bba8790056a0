import * as tf from '@tensorflow/tfjs-core';
import { MarginStateError } from './errors';
import type { JsonValue, MarginState } from './margin-fn';

/** Where a margin keeps its running state: what `defineMargin` turns into `readState`/`restoreState`. */
export interface MarginStateStore {
  /** The state as JSON, read asynchronously. */
  read(): Promise<MarginState>;
  /** Puts back a state that `read` returned, bit for bit; throws `MarginStateError` for another shape. */
  restore(state: MarginState): void;
}

/** The starting value of one entry: a scalar or a vector of float32 values. */
export type RunningValue = number | readonly number[];

/** The four float32 values JSON has no number for, written as strings. */
const SPECIAL: ReadonlyArray<readonly [string, number]> = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['-0', -0],
];

/**
 * A float32 value as JSON that reads back bit for bit. Finite values other than −0 are plain
 * numbers: a float32 is exactly a float64, and JSON writes a float64 with the shortest digits
 * that parse back to it, so `JSON.parse(JSON.stringify(x))` is x. NaN, ±Infinity and −0
 * (which JSON writes as null, null and 0) are the strings 'NaN', 'Infinity', '-Infinity', '-0'.
 *
 * @example
 * float32ToJson(Math.fround(0.1)); // 0.10000000149011612
 * float32ToJson(-0);               // '-0'
 */
export function float32ToJson(value: number): number | string {
  for (const [text, special] of SPECIAL) if (Object.is(value, special)) return text;
  return value;
}

/**
 * The inverse of {@link float32ToJson}: a number (rounded to float32) or one of the four special
 * strings; anything else is `undefined`.
 */
export function float32FromJson(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.fround(value) : undefined;
  if (typeof value === 'string') return SPECIAL.find(([text]) => text === value)?.[1];
  return undefined;
}

/**
 * Named float32 tensors a margin carries between training calls, with the JSON state they read
 * and restore: the helper behind `readState`/`restoreState` for margins made with
 * `defineMargin` (return it as `state` from `setup`). Each entry stays on the backend as a kept
 * tensor, so a training step never waits on the device; only `read()` does, asynchronously.
 *
 * The state is `{ key: value }` with scalars as numbers and vectors as arrays, written by
 * {@link float32ToJson}, so a `JSON.stringify` / `JSON.parse` round trip restores every bit.
 *
 * @example
 * const state = new RunningState('my-margin', { t: 0 });
 * tf.tidy(() => state.set('t', tf.add(state.get('t'), 0.1)));
 * const saved = await state.read(); // { t: 0.10000000149011612 }
 * state.restore(JSON.parse(JSON.stringify(saved)));
 */
export class RunningState<Key extends string = string> implements MarginStateStore {
  private readonly values = new Map<Key, tf.Tensor>();
  private readonly initial: ReadonlyMap<Key, Float32Array>;
  private readonly shapes: ReadonlyMap<Key, number[]>;

  /**
   * @param margin the margin's name, for error messages
   * @param initial each entry's starting value: a number (a scalar) or an array (a vector)
   */
  constructor(
    private readonly margin: string,
    initial: Readonly<Record<Key, RunningValue>>,
  ) {
    const entries = Object.entries(initial) as Array<[Key, RunningValue]>;
    for (const [key, value] of entries) {
      const list = typeof value === 'number' ? [value] : value;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'number')) {
        throw new MarginStateError(margin, key, `must start as a number or an array of numbers, got ${JSON.stringify(value)}`);
      }
    }
    this.initial = new Map(
      entries.map(([key, value]) => [key, Float32Array.from(typeof value === 'number' ? [value] : value)]),
    );
    this.shapes = new Map(entries.map(([key, value]) => [key, typeof value === 'number' ? [] : [value.length]]));
  }

  /** The keys, in the order they were given. */
  keys(): Key[] {
    return [...this.initial.keys()];
  }

  /** The current value of `key` (made from its starting value on first use). Do not dispose it. */
  get(key: Key): tf.Tensor {
    const existing = this.values.get(key);
    if (existing !== undefined && !existing.isDisposed) return existing;
    const start = this.initial.get(key);
    if (start === undefined) throw new MarginStateError(this.margin, key, 'is not a key of this state');
    const created = tf.keep(tf.tensor(start, this.shapes.get(key), 'float32'));
    this.values.set(key, created);
    return created;
  }

  /** Replaces the value of `key` by `next` (kept here, so call it inside `tf.tidy` freely). */
  set(key: Key, next: tf.Tensor): void {
    if (!this.initial.has(key)) throw new MarginStateError(this.margin, key, 'is not a key of this state');
    const old = this.values.get(key);
    if (old === next) return;
    this.values.set(key, tf.keep(next));
    old?.dispose();
  }

  /** Every value as JSON (asynchronous reads: works on every backend). */
  async read(): Promise<MarginState> {
    const keys = this.keys();
    const data = await Promise.all(keys.map((key) => this.get(key).data()));
    const state: MarginState = {};
    keys.forEach((key, i) => {
      const values = Array.from(data[i] as Float32Array, float32ToJson);
      state[key] = (this.shapes.get(key) as number[]).length === 0 ? (values[0] as number | string) : values;
    });
    return state;
  }

  /**
   * Sets every value from a state {@link read} returned. The whole state is checked first (every
   * key present, none unknown, each value of its type and length): a state that does not fit
   * throws `MarginStateError` and changes nothing.
   */
  restore(state: MarginState): void {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new MarginStateError(this.margin, '', `must be an object, got ${JSON.stringify(state)}`);
    }
    const unknown = Object.keys(state).filter((key) => !this.initial.has(key as Key));
    if (unknown.length > 0) {
      throw new MarginStateError(this.margin, unknown[0] as string, `is not a key of this state (keys: ${this.keys().join(', ')})`);
    }
    const decoded = this.keys().map((key) => {
      const given = state[key];
      if (given === undefined) throw new MarginStateError(this.margin, key, 'is missing');
      const shape = this.shapes.get(key) as number[];
      const list = shape.length === 0 ? [given] : given;
      const length = shape.length === 0 ? 1 : (shape[0] as number);
      if (!Array.isArray(list) || list.length !== length) {
        const expected = shape.length === 0 ? 'a number' : `an array of ${length} numbers`;
        throw new MarginStateError(this.margin, key, `must be ${expected}, got ${JSON.stringify(given)}`);
      }
      const values = new Float32Array(length);
      list.forEach((item, i) => {
        const value = float32FromJson(item);
        if (value === undefined) {
          throw new MarginStateError(
            this.margin,
            key,
            `holds ${JSON.stringify(item)}, not a number or one of 'NaN', 'Infinity', '-Infinity', '-0'`,
          );
        }
        values[i] = value;
      });
      return [key, values, shape] as const;
    });
    for (const [key, values, shape] of decoded) this.set(key, tf.tensor(values, shape, 'float32'));
  }

  /** Back to the starting values; frees the tensors. */
  reset(): void {
    for (const value of this.values.values()) value.dispose();
    this.values.clear();
  }
}

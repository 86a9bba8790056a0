import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkMargin } from './check-margin';
import { defineMargin } from './define-margin';
import { InvalidMarginError, MarginStateError } from './errors';
import { createMargin, listMargins, registerMargin } from './registry';
import { RunningState, float32FromJson, float32ToJson } from './running-state';
import type { MarginState } from './margin-fn';

/** The float32 with these 32 bits. */
function float32FromBits(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits >>> 0);
  return view.getFloat32(0);
}
function bitsOf(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getUint32(0);
}
const CANONICAL_NAN = bitsOf(Number.NaN);

describe('float32 values in JSON', () => {
  it('read back bit for bit through JSON.stringify / JSON.parse, for every bit pattern (fast-check)', () => {
    fc.assert(
      // uniform bit patterns, plus the edges uniform draws almost never hit: ±0, ±Infinity, NaN, subnormals
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.constantFrom(0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x00000001, 0x807fffff),
        ),
        (bits) => {
        const value = float32FromBits(bits);
        const back = float32FromJson(JSON.parse(JSON.stringify(float32ToJson(value))));
        // NaN payloads do not survive a Float32Array either: every NaN is the one NaN.
        expect(bitsOf(back as number)).toBe(Number.isNaN(value) ? CANONICAL_NAN : bits);
        },
      ),
      { numRuns: 20000 },
    );
  });

  it('writes the values JSON has no number for as strings, and refuses other strings', () => {
    expect([Number.NaN, Infinity, -Infinity, -0, 0].map(float32ToJson)).toEqual(['NaN', 'Infinity', '-Infinity', '-0', 0]);
    // the edges: the smallest subnormal, the largest finite float32, 1 + ulp
    for (const bits of [0x00000001, 0x807fffff, 0x7f7fffff, 0x3f800001]) {
      const value = float32FromBits(bits);
      expect(bitsOf(float32FromJson(JSON.parse(JSON.stringify(float32ToJson(value)))) as number)).toBe(bits);
    }
    expect(float32FromJson('1.5')).toBeUndefined();
    expect(float32FromJson(null)).toBeUndefined();
  });
});

describeEachBackend('RunningState', () => {
  it('keeps tensors on the backend and restores a read state bit for bit', async () => {
    const state = new RunningState('probe', { t: 0.25, v: [1, -2, 3] });
    expect(await state.read()).toEqual({ t: 0.25, v: [1, -2, 3] });
    tf.tidy(() => {
      state.set('t', tf.div(tf.scalar(1), 3));
      state.set('v', tf.tensor1d([Math.PI, -0, Number.NaN]));
    });
    const saved = JSON.parse(JSON.stringify(await state.read())) as MarginState;
    expect(saved.v).toEqual([Math.fround(Math.PI), '-0', 'NaN']);
    tf.tidy(() => state.set('t', tf.scalar(7)));
    state.restore(saved);
    expect(bitsOf((await state.get('t').data())[0] as number)).toBe(bitsOf(1 / 3));
    expect(Object.is((await state.get('v').data())[1], -0)).toBe(true);
    expect(await state.read()).toEqual(saved);
    state.reset();
    expect(await state.read()).toEqual({ t: 0.25, v: [1, -2, 3] });
    state.reset();
  });

  it('refuses a state of another shape, naming the key, and changes nothing', async () => {
    const state = new RunningState('probe', { t: 0.5, v: [1, 2] });
    const before = await state.read();
    const bad: Array<[unknown, RegExp]> = [
      [{ t: 1 }, /'v' is missing/],
      [{ t: 1, v: [1, 2], w: 3 }, /'w' is not a key/],
      [{ t: 1, v: [1, 2, 3] }, /'v' must be an array of 2 numbers/],
      [{ t: [1], v: [1, 2] }, /'t' holds \[1\]/],
      [{ t: 'x', v: [1, 2] }, /'t' holds "x"/],
      [[1, 2], /state must be an object/],
    ];
    for (const [given, message] of bad) {
      expect(() => state.restore(given as MarginState)).toThrow(MarginStateError);
      expect(() => state.restore(given as MarginState)).toThrow(message);
    }
    expect(await state.read()).toEqual(before);
    state.reset();
  });

  it('leaks no tensor across updates, reads and restores', async () => {
    const state = new RunningState('probe', { t: 0 });
    state.get('t');
    await expectNoLeak(async () => {
      tf.tidy(() => state.set('t', tf.add(state.get('t'), 1)));
      state.restore(await state.read());
      return tf.scalar(0);
    });
    state.reset();
  });
});

/** A plugin with a running mean of the target cosine that shifts the target: stateful. */
function runningShift(withState: boolean) {
  return defineMargin({
    name: withState ? 'running-shift' : 'hidden-shift',
    defaults: { rate: 0.5 },
    setup: ({ rate, s }) => {
      const state = new RunningState(withState ? 'running-shift' : 'hidden-shift', { mean: 0 });
      return {
        targetLogit: (theta) => Math.cos(theta) - 0.1,
        ...(withState ? { state } : {}),
        logits: (cosines, labels, context) =>
          tf.tidy(() => {
            const onehot = tf.oneHot(tf.cast(labels, 'int32'), cosines.shape[1] as number);
            const target = tf.sum(tf.mul(cosines, onehot), 1);
            if (context.training === true) {
              state.set('mean', tf.add(tf.mul(state.get('mean'), 1 - rate), tf.mul(tf.mean(target), rate)));
            }
            return tf.mul(tf.sub(cosines, tf.mul(onehot, tf.add(0.1, tf.mul(state.get('mean'), 0.01)))), s);
          }) as tf.Tensor2D,
      };
    },
  });
}

describeEachBackend('margin state through the MarginFn contract', () => {
  beforeAll(registerGradients);

  it('defineMargin turns a RunningState into readState/restoreState, and a restore replays a call bit for bit', async () => {
    const margin = runningShift(true)();
    const cos = tf.tensor2d([[0.3, 0.1], [0.2, 0.6]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const call = () => tf.tidy(() => margin.logits(cos, labels, { training: true })).dataSync().slice();
    call();
    const saved = JSON.parse(JSON.stringify(await margin.readState!())) as MarginState;
    const next = call();
    call();
    margin.restoreState!(saved);
    expect(await margin.readState!()).toEqual(saved);
    expect(Array.from(call())).toEqual(Array.from(next));
    tf.dispose([cos, labels]);
  });

  it('checkMargin flags a margin whose logits depend on earlier training calls but that has no state', () => {
    const hidden = checkMargin(runningShift(false)());
    expect(hidden.checks.exposesState).toBe(false);
    expect(hidden.ok).toBe(false);
    const violation = hidden.violations.find((v) => v.law === 'exposesState');
    expect(violation?.detail).toMatch(/readState\(\) and restoreState/);
    expect(Number.isNaN(violation?.theta)).toBe(true);
    const exposed = checkMargin(runningShift(true)());
    expect(exposed.checks.exposesState).toBe(true);
    expect(exposed.ok).toBe(true);
    // the probe can be turned off
    expect(checkMargin(runningShift(false)(), { stateProbeColumns: false }).ok).toBe(true);
  });

  it('every registered margin is stateless by the probe or exposes its state', () => {
    const undo = registerMargin('running-shift', runningShift(true));
    try {
      for (const name of listMargins()) {
        const report = checkMargin(createMargin(name), { samples: 65 });
        expect({ name, exposesState: report.checks.exposesState }).toEqual({ name, exposesState: true });
      }
    } finally {
      undo();
    }
  });

  it('refuses a plugin state without read/restore, and a margin with only one of the two', () => {
    const broken = defineMargin({
      name: 'broken-state',
      defaults: {},
      setup: () => ({ targetLogit: Math.cos, state: { read: async () => ({}) } as never }),
    });
    expect(() => broken()).toThrow(InvalidMarginError);
    const half = () => ({ ...createMargin('additive-cosine'), readState: async () => ({}) });
    const undo = registerMargin('half-state', half);
    try {
      expect(() => createMargin('half-state' as string)).toThrow(/only one of readState and restoreState/);
    } finally {
      undo();
    }
  });
});

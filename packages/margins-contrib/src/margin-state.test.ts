import * as tf from '@tensorflow/tfjs-core';
import { checkMargin, createMargin } from '@arcface/margins';
import type { MarginFn, MarginState } from '@arcface/margins';
import { describeEachBackend, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { adaFaceReference, curricularFaceReference, randomCosines, seeded } from '../test/float64-reference';
import { expectMatrixClose, toMatrix } from '../test/helpers';
import { ADAFACE_DEFAULTS } from './adaface';
import { CONTRIB_MARGINS, registerContribMargins } from './register';

// Options under which each stateful margin's state matters from one call to the next.
const STATEFUL = {
  adaface: { tAlpha: 0.3 },
  curricularface: { momentum: 0.3 },
} as const;

const rows = 6;
const columns = 12; // a multiple of sub-center ArcFace's K = 3
const labels = [0, 3, 2, 1, 0, 2];
const batches = [0, 1, 2, 3].map((i) => ({
  cos: randomCosines(seeded(40 + i), rows, columns),
  norms: Array.from({ length: rows }, (_, j) => 4 + 11 * j + 5 * i),
}));

function call(margin: MarginFn, batch: (typeof batches)[number], training = true): Float32Array {
  const out = tf.tidy(() =>
    margin.logits(tf.tensor2d(batch.cos), tf.tensor1d(labels, 'int32'), {
      step: 2,
      training,
      featureNorms: tf.tensor1d(batch.norms),
    }),
  );
  const values = out.dataSync().slice() as Float32Array;
  out.dispose();
  return values;
}

/** The float32 bits of every element, so that equality is bit for bit (−0 and NaN included). */
const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer.slice(0)));

describeEachBackend('running state of the contrib margins', () => {
  beforeAll(registerGradients);

  it('every contrib margin either exposes its state or has none that checkMargin can see', () => {
    const undo = registerContribMargins();
    try {
      for (const name of Object.keys(CONTRIB_MARGINS)) {
        // checkMargin's gradient probe uses two cosine columns: sub-centres are checked at K = 1
        const options = (STATEFUL as Record<string, object>)[name] ?? (name === 'subcenter-arcface' ? { k: 1 } : {});
        const margin = createMargin(name as 'adaface', options);
        expect({ name, stateful: typeof margin.readState === 'function' }).toEqual({ name, stateful: name in STATEFUL });
        const report = checkMargin(margin, { samples: 65 });
        expect({ name, exposesState: report.checks.exposesState }).toEqual({ name, exposesState: true });
      }
    } finally {
      undo();
    }
  });

  it('AdaFace: readState follows the float64 running μ/σ of head.py over three training calls', async () => {
    const margin = CONTRIB_MARGINS.adaface(STATEFUL.adaface);
    let state = { mean: 20, std: 100 };
    expect(await margin.readState!()).toEqual({ mean: 20, std: 100 });
    for (const batch of batches.slice(0, 3)) {
      const expected = adaFaceReference(batch.cos, labels, batch.norms, { ...ADAFACE_DEFAULTS, ...STATEFUL.adaface, s: 64, ...state, training: true });
      const logits = call(margin, batch);
      expectMatrixClose(toMatrix(tf.tensor2d(logits, [rows, columns])), expected.logits, 5e-4);
      const read = (await margin.readState!()) as { mean: number; std: number };
      expect(Math.abs(read.mean - expected.mean) / expected.mean).toBeLessThan(1e-6);
      expect(Math.abs(read.std - expected.std) / expected.std).toBeLessThan(1e-6);
      state = { mean: expected.mean, std: expected.std };
    }
  });

  it('CurricularFace: readState follows the float64 running t of metrics.py over three training calls', async () => {
    const margin = CONTRIB_MARGINS.curricularface(STATEFUL.curricularface);
    let t = 0;
    for (const batch of batches.slice(0, 3)) {
      const expected = curricularFaceReference(batch.cos, labels, { m: 0.5, s: 64, momentum: 0.3, t, training: true });
      call(margin, batch);
      const read = (await margin.readState!()) as { t: number };
      expect(Math.abs(read.t - expected.t)).toBeLessThan(1e-7);
      t = expected.t;
    }
  });

  for (const name of Object.keys(STATEFUL) as Array<keyof typeof STATEFUL>) {
    it(`${name}: the state round-trips through JSON bit for bit, into the same margin and into a rebuilt one`, async () => {
      const margin = CONTRIB_MARGINS[name](STATEFUL[name] as never) as MarginFn;
      call(margin, batches[0]!);
      call(margin, batches[1]!);
      const saved = JSON.parse(JSON.stringify(await margin.readState!())) as MarginState;
      const next = call(margin, batches[2]!);
      const after = call(margin, batches[3]!);
      const stateAfter = await margin.readState!();
      expect(bits(next)).not.toEqual(bits(call(margin, batches[2]!))); // the state moved on

      margin.restoreState!(saved);
      expect(await margin.readState!()).toEqual(saved);
      expect(bits(call(margin, batches[2]!))).toEqual(bits(next));
      expect(bits(call(margin, batches[3]!))).toEqual(bits(after));
      expect(await margin.readState!()).toEqual(stateAfter);

      // a checkpoint's case: a fresh margin from name + options, given the saved state
      const rebuilt = CONTRIB_MARGINS[name](JSON.parse(JSON.stringify(margin.options)) as never) as MarginFn;
      rebuilt.restoreState!(saved);
      expect(bits(call(rebuilt, batches[2]!))).toEqual(bits(next));
      expect(bits(call(rebuilt, batches[3]!))).toEqual(bits(after));
      // evaluation calls leave the state alone
      const frozen = await rebuilt.readState!();
      call(rebuilt, batches[0]!, false);
      expect(await rebuilt.readState!()).toEqual(frozen);
      expect(() => rebuilt.restoreState!({ nope: 1 })).toThrow(expect.objectContaining({ code: 'ERR_MARGIN_STATE' }));
    });
  }
});

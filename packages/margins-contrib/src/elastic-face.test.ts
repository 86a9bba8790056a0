import * as tf from '@tensorflow/tfjs-core';
import { checkMargin, createMargin, marginLogits, marginSoftmaxLoss } from '@arcface/margins';
import { ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  elasticPlusMargins,
  elasticPlusReference,
  elasticReference,
  randomCosines,
  seeded,
  softmaxCrossEntropy,
} from '../test/float64-reference';
import { expectGradientMatches, expectMatrixClose, toMatrix } from '../test/helpers';
import { elasticFace, elasticFaceAssign, elasticFaceDraw, elasticFaceLogits, elasticFaceMargins } from './elastic-face';
import { registerContribMargins } from './register';

const labels = [2, 0, 1, 1, 3, 0, 2, 3];

/** Largest |a − b| / max(|b|, 1) over two matrices: relative error, absolute near 0. */
function maxRelative(actual: number[][], expected: number[][]): number {
  let worst = 0;
  actual.forEach((row, i) =>
    row.forEach((a, j) => {
      const b = (expected[i] as number[])[j] as number;
      worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(b), 1));
    }),
  );
  return worst;
}

describe('ElasticFace+ assignment rule (float64 reference)', () => {
  it('matches the worked example of the docs: cosines [0.1, 0.9, 0.5], margins sorted [a, b, c]', () => {
    expect(elasticPlusMargins([0.1, 0.9, 0.5], [3, 1, 2], 'authors')).toEqual([2, 3, 1]);
    expect(elasticPlusMargins([0.1, 0.9, 0.5], [3, 1, 2], 'rank')).toEqual([3, 1, 2]);
    // already sorted by cosine: both rules pair the highest cosine with the smallest margin
    expect(elasticPlusMargins([0.9, 0.5, 0.1], [3, 1, 2], 'authors')).toEqual([1, 2, 3]);
  });
});

describeEachBackend('elasticFace', () => {
  beforeAll(registerGradients);
  const cos = randomCosines(seeded(13), 8, 4);

  for (const variant of ['arc', 'cos'] as const) {
    it(`'${variant}': matches the float64 reference with the margins drawn for the step`, () => {
      const margin = elasticFace({ variant, seed: 7 });
      const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32'), { step: 42 }));
      const margins = Array.from(elasticFaceMargins(8, { variant, seed: 7 }, 42));
      expectMatrixClose(toMatrix(out), elasticReference(cos, labels, margins, { variant, s: 64 }), 5e-4);
      out.dispose();
      const mean = variant === 'arc' ? 0.5 : 0.35;
      expect(margins.every((m) => Math.abs(m - mean) < 0.3)).toBe(true);
      expect(new Set(margins).size).toBe(8); // one margin per sample
    });

    for (const plus of [true, 'rank'] as const) {
      it(`'${variant}' plus ${String(plus)}: logits equal the float64 reference of the sorted assignment (1e-5 relative)`, () => {
        const rule = plus === true ? 'authors' : 'rank';
        // cosines drawn so that the sort order is not its own inverse (the two rules differ)
        const batch = randomCosines(seeded(plus === true ? 21 : 22), 16, 6);
        const rows = Array.from({ length: 16 }, (_, i) => i % 6);
        const margin = createMarginWith({ variant, seed: 5, plus, sigma: 0.1 });
        const out = tf.tidy(() => margin.logits(tf.tensor2d(batch), tf.tensor1d(rows, 'int32'), { step: 3 }));
        const drawn = Array.from(elasticFaceMargins(16, { variant, seed: 5, sigma: 0.1 }, 3));
        const reference = elasticPlusReference(batch, rows, drawn, { variant, s: 64, rule });
        const actual = toMatrix(out);
        out.dispose();
        expect(maxRelative(actual, reference.logits)).toBeLessThan(1e-5);
        // the other rule and no re-assignment are both far off: the test sees the rule
        const other = elasticPlusReference(batch, rows, drawn, { variant, s: 64, rule: rule === 'authors' ? 'rank' : 'authors' });
        expect(maxRelative(actual, other.logits)).toBeGreaterThan(1e-3);
        expect(maxRelative(actual, elasticReference(batch, rows, drawn, { variant, s: 64 }))).toBeGreaterThan(1e-3);
      });
    }
  }

  it('elasticFaceAssign breaks ties by the lower row, as the reference does', async () => {
    const targets = [0.5, 0.2, 0.5, 0.9, 0.2];
    const margins = [0.45, 0.55, 0.5, 0.4, 0.6];
    for (const rule of ['authors', 'rank'] as const) {
      const out = tf.tidy(() => elasticFaceAssign(tf.tensor1d(targets), tf.tensor1d(margins), rule));
      expect(Array.from(await out.data())).toEqual(elasticPlusMargins(targets, margins, rule).map(Math.fround));
      out.dispose();
    }
  });

  it('plus trains: createMargin(…, { plus: true }) gives a finite loss and the formula’s gradient at the assigned margins', () => {
    const undo = registerContribMargins();
    try {
      const margin = createMargin('elasticface', { plus: true, seed: 3 });
      const l = tf.tensor1d(labels, 'int32');
      const drawn = Array.from(elasticFaceMargins(8, { seed: 3 }, 5));
      expectGradientMatches(
        (c) => margin.logits(c, l, { step: 5 }),
        // the assignment is a constant of the gradient: fixed at the cosines given
        (c) => elasticReference(c, labels, elasticPlusReference(cos, labels, drawn, { variant: 'arc', s: 64, rule: 'authors' }).assigned, { variant: 'arc', s: 64 }),
        cos,
        randomCosines(seeded(6), 8, 4, -1, 1),
        64,
        2e-3,
      );
      const x = tf.variable(tf.randomNormal([8, 6], 0, 1, 'float32', 11));
      const w = tf.variable(tf.randomNormal([4, 6], 0, 1, 'float32', 12));
      const optimizer = tf.train.sgd(0.5);
      const losses: number[] = [];
      for (let step = 0; step < 8; step += 1) {
        const loss = optimizer.minimize(
          () => marginSoftmaxLoss(x as unknown as tf.Tensor2D, w as unknown as tf.Tensor2D, l, createMargin('elasticface', { plus: true, s: 16 }), { step, training: true }),
          true,
        ) as tf.Scalar;
        losses.push(loss.dataSync()[0] as number);
        loss.dispose();
      }
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[7]).toBeLessThan(losses[0] as number);
      tf.dispose([x, w, l]);
    } finally {
      undo();
    }
  });

  it('draws N(m, σ): mean and spread over many samples, one stream per (seed, step), 0 included', () => {
    const a = elasticFaceMargins(20000, { sigma: 0.05, seed: 1 }, 3);
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    const sd = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.002);
    expect(Math.abs(sd - 0.05)).toBeLessThan(0.002);
    expect(elasticFaceMargins(20000, { sigma: 0.05, seed: 1 }, 3)).toEqual(a);
    const streams = [
      [0, 0],
      [0, 1],
      [1, 0],
      [-1, 0],
      [0, -1],
      [2 ** 40, 7],
    ].map(([seed, step]) => Array.from(elasticFaceMargins(8, { seed: seed as number }, step as number)).join());
    expect(new Set(streams).size).toBe(streams.length); // seed 1 at step 0 is not seed 0 at step 1
  });

  it('two evaluations at step 0 with the default seed see the same margins: logits, loss and marginLogits agree', () => {
    const margin = elasticFace();
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    const first = tf.tidy(() => margin.logits(c, l));
    const second = tf.tidy(() => margin.logits(c, l, { step: 0 }));
    expect(Array.from(first.dataSync())).toEqual(Array.from(second.dataSync()));
    expect(Array.from(elasticFaceMargins(8, {}, 0))).toEqual(Array.from(elasticFaceMargins(8, {}, 0)));

    const x = tf.randomNormal([8, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
    const w = tf.randomNormal([4, 5], 0, 1, 'float32', 5) as tf.Tensor2D;
    const loss = marginSoftmaxLoss(x, w, l, margin, { step: 0 });
    const logits = marginLogits(x, w, l, margin, { step: 0 });
    // the loss is the cross-entropy of the very logits marginLogits returns
    expect(loss.dataSync()[0]).toBeCloseTo(softmaxCrossEntropy(toMatrix(logits), labels), 5);
    const elsewhere = marginLogits(x, w, l, margin, { step: 1 });
    expect(Array.from(elsewhere.dataSync())).not.toEqual(Array.from(logits.dataSync()));
    tf.dispose([first, second, c, l, x, w, loss, logits, elsewhere]);
  });

  it('explicit margins: the σ = 0 result exactly, a drawn step exactly, and a typed error for the wrong count', () => {
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    const run = (options: Parameters<typeof elasticFace>[0], step = 9) =>
      Array.from(tf.tidy(() => elasticFace(options).logits(c, l, { step })).dataSync());
    for (const variant of ['arc', 'cos'] as const) {
      const m = variant === 'arc' ? 0.5 : 0.35;
      expect(run({ variant, margins: new Array(8).fill(m) })).toEqual(run({ variant, sigma: 0 }));
    }
    const drawn = Array.from(elasticFaceMargins(8, { seed: 4 }, 9));
    expect(run({ margins: drawn, plus: true })).toEqual(run({ seed: 4, plus: true }));
    expect(run({ margins: drawn }, 0)).toEqual(run({ seed: 4 }, 9));
    expect(() => tf.tidy(() => elasticFace({ margins: [0.5, 0.5] }).logits(c, l))).toThrow(ShapeMismatchError);
    expect(() => elasticFace({ margins: [] })).toThrow(/margins/);
    expect(() => elasticFace({ plus: 'sorted' as never })).toThrow(/plus/);
    const direct = tf.tidy(() => elasticFaceLogits(c, l, tf.tensor1d(drawn), { plus: true }));
    expect(Array.from(direct.dataSync())).toEqual(run({ seed: 4, plus: true }));
    direct.dispose();
    tf.dispose([c, l]);
  });

  it('elasticFaceDraw is elasticFaceMargins as a tensor', async () => {
    const t = elasticFaceDraw(5, { seed: 2 }, 0);
    expect(Array.from(await t.data())).toEqual(Array.from(elasticFaceMargins(5, { seed: 2 }, 0)));
    t.dispose();
  });

  it('leaks no tensor, with and without plus', async () => {
    const c = tf.tensor2d(cos);
    const l = tf.tensor1d(labels, 'int32');
    for (const plus of [false, true, 'rank'] as const) {
      const margin = elasticFace({ plus });
      await expectNoLeak(() => margin.logits(c, l, { step: 1 }));
    }
    tf.dispose([c, l]);
  });

  it("checkMargin: 'cos' passes; 'arc' has no threshold, as the paper, and fails past π − m only", () => {
    expect(checkMargin(elasticFace({ variant: 'cos' })).ok).toBe(true);
    expect(checkMargin(elasticFace({ variant: 'cos', plus: true })).ok).toBe(true);
    const arc = checkMargin(elasticFace(), { maxViolationsPerLaw: 10_000 });
    // cos(θ + m) rises again once θ + m > π, and there climbs above cos θ (past θ = π − m/2).
    expect(arc.checks.monotone).toBe(false);
    expect(arc.checks.belowCosine).toBe(false);
    expect(arc.checks.finite && arc.checks.finiteGradient && arc.checks.exposesState).toBe(true);
    for (const v of arc.violations) expect(v.theta).toBeGreaterThan(Math.PI - 0.5 - 1e-9);
    expect(() => elasticFace({ sigma: -0.1 })).toThrow(/sigma.*-0\.1/);
    expect(() => elasticFace({ variant: 'sine' as 'arc' })).toThrow(/sine/);
  });
});

function createMarginWith(options: Parameters<typeof elasticFace>[0]) {
  const undo = registerContribMargins();
  try {
    return createMargin('elasticface', options);
  } finally {
    undo();
  }
}

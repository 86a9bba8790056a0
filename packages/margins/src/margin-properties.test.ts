import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import type { MarginFn } from './margin-fn';
import { createMargin } from './registry';

const theta = fc.double({ min: 0, max: Math.PI, noNaN: true });
const angularMargin = fc.double({ min: 0, max: Math.PI / 2, noNaN: true });

/**
 * Margins with non-negative margins whose t(θ) ≤ cos θ holds everywhere. ArcFace and the
 * combined margin with boundary 'none' are left out on purpose: cos(θ + m) exceeds cos θ for
 * θ > π − m/2 (checkMargin reports it). The combined margin keeps m1 ≥ 1 (a multiplier below
 * 1 shrinks the angle) and m1·π + m2 ≤ 2π (past that the reflected branch turns back up).
 */
const monotoneMargin: fc.Arbitrary<MarginFn> = fc.oneof(
  fc
    .record({ m: angularMargin, boundary: fc.constantFrom('thmm' as const, 'reflect' as const) })
    .map((o) => createMargin('additive-angular', o)),
  fc.record({ m: fc.double({ min: 0, max: 1, noNaN: true }) }).map((o) => createMargin('additive-cosine', o)),
  fc
    .record({
      m1: fc.double({ min: 1, max: 1.5, noNaN: true }),
      m2: fc.double({ min: 0, max: 0.8, noNaN: true }),
      m3: fc.double({ min: 0, max: 0.5, noNaN: true }),
    })
    .map((o) => createMargin('combined', { ...o, boundary: 'reflect' })),
  fc
    .record({ m: fc.integer({ min: 1, max: 6 }), lambda: fc.double({ min: 0, max: 1000, noNaN: true }) })
    .map((o) => createMargin('multiplicative-angular', o)),
  fc.constant(createMargin('softmax-normalized')),
);
const belowCosineMargin: fc.Arbitrary<MarginFn> = fc.oneof(
  monotoneMargin,
  fc.record({ m: angularMargin }).map((o) => createMargin('additive-angular', { ...o, boundary: 'easy' })),
);
/** Entries of magnitude in [0.2, 2]: rows stay away from 0, where the plain reference's norm has no gradient. */
const signedEntry = fc
  .tuple(fc.double({ min: 0.2, max: 2, noNaN: true }), fc.boolean())
  .map(([magnitude, negative]) => (negative ? -magnitude : magnitude));
const describeMargin = (m: MarginFn) => `${m.name} ${JSON.stringify(m.options)}`;

describe('laws of the float64 form (fast-check)', () => {
  it('t(θ) ≤ cos θ for every built-in with non-negative margins', () => {
    fc.assert(
      fc.property(belowCosineMargin, theta, (margin, t) => {
        expect(margin.targetLogit(t), describeMargin(margin)).toBeLessThanOrEqual(Math.cos(t) + 1e-12);
      }),
      { numRuns: 2000 },
    );
  });

  it('t is non-increasing on [0, π] for thmm, reflect, CosFace, combined/reflect and SphereFace', () => {
    fc.assert(
      fc.property(monotoneMargin, theta, theta, (margin, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(margin.targetLogit(high), describeMargin(margin)).toBeLessThanOrEqual(margin.targetLogit(low) + 1e-12);
      }),
      { numRuns: 3000 },
    );
  });

  it('the SphereFace ψ alone (λ = 0) is non-increasing, stepping down by 2 per band', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.nat(), theta, theta, (m, band, a, b) => {
        const psi = createMargin('multiplicative-angular', { m, lambda: 0 });
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(psi.targetLogit(high)).toBeLessThanOrEqual(psi.targetLogit(low) + 1e-12);
        // at the band edges ψ(kπ/m) = 1 − 2k: continuous, stepping down by 2 per band
        const k = band % m;
        expect(psi.targetLogit((k * Math.PI) / m)).toBeCloseTo(1 - 2 * k, 9);
      }),
      { numRuns: 1000 },
    );
  });

  it('a zero margin gives cos θ', () => {
    const identities = [
      createMargin('additive-angular', { m: 0, boundary: 'none' }),
      createMargin('additive-angular', { m: 0, boundary: 'easy' }),
      createMargin('additive-angular', { m: 0, boundary: 'thmm' }),
      createMargin('additive-angular', { m: 0, boundary: 'reflect' }),
      createMargin('additive-cosine', { m: 0 }),
      createMargin('combined', { m1: 1, m2: 0, m3: 0, boundary: 'none' }),
      createMargin('combined', { m1: 1, m2: 0, m3: 0, boundary: 'reflect' }),
      createMargin('multiplicative-angular', { m: 1 }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...identities), theta, (margin, t) => {
        expect(Math.abs(margin.targetLogit(t) - Math.cos(t)), describeMargin(margin)).toBeLessThan(1e-12);
      }),
      { numRuns: 1000 },
    );
  });
});

describeEachBackend('laws of the tensor form (fast-check)', () => {
  it('a zero margin gives cos θ and dt/dc = 1 in float32', async () => {
    const c = tf.tensor1d([-1, -0.7, -0.2, 0, 0.3, 0.9, 1]);
    for (const margin of [
      createMargin('additive-angular', { m: 0, boundary: 'reflect' }),
      createMargin('additive-cosine', { m: 0 }),
      createMargin('combined', { m1: 1, m2: 0, m3: 0 }),
      createMargin('multiplicative-angular', { m: 1, lambda: 3 }),
    ]) {
      const [t, g] = tf.tidy(() => [margin.target!(c, {}), margin.targetGradient!(c, {})]);
      const values = await t!.data();
      Array.from(await c.data()).forEach((v, i) => expect(values[i]).toBeCloseTo(v, 6));
      // at exactly ±1 the clamped slope of an angular formula is evaluated at ±(1 − 1e-7)
      Array.from(await g!.data()).forEach((v) => expect(v).toBeCloseTo(1, 3));
      tf.dispose([t!, g!]);
    }
    c.dispose();
  });

  it('dt/dc is finite at c = −1, 0, 1 and at each boundary, for random options', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          monotoneMargin,
          fc
            .record({ m: angularMargin, boundary: fc.constantFrom('none' as const, 'easy' as const) })
            .map((o) => createMargin('additive-angular', o)),
          fc
            .record({ m1: fc.double({ min: 0.5, max: 2, noNaN: true }), m2: fc.double({ min: 0, max: 1.5, noNaN: true }) })
            .map((o) => createMargin('combined', { ...o, boundary: 'none' })),
        ),
        async (margin) => {
          const points = [-1, 0, 1, ...(margin.boundaries?.() ?? []).flatMap((b) => [Math.cos(b), Math.cos(b - 1e-4), Math.cos(b + 1e-4)])];
          const c = tf.tensor1d(points);
          const slope = await expectNoLeak(() => margin.targetGradient!(c, {}));
          const target = margin.target!(c, {});
          const values = [...(await slope.data()), ...(await target.data())];
          tf.dispose([c, slope, target]);
          expect(values.every(Number.isFinite), describeMargin(margin)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the loss gradient stays finite with samples exactly on and opposite their centres', async () => {
    const x = tf.tensor2d([[1, 0, 0], [0, -2, 0], [0, 0, 3]]);
    const w = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, -1]]);
    const labels = tf.tensor1d([0, 1, 2], 'int32'); // c_y = 1, −1, −1
    for (const margin of [
      createMargin('additive-angular', { boundary: 'none' }),
      createMargin('additive-angular', { boundary: 'thmm' }),
      createMargin('additive-angular', { boundary: 'reflect' }),
      createMargin('combined', { m1: 1.35, m2: 0.2, m3: 0.1 }),
      createMargin('multiplicative-angular', { m: 4 }),
    ]) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin))([x, w]);
      for (const g of grads) expect(Array.from(await g.data()).every(Number.isFinite), describeMargin(margin)).toBe(true);
      tf.dispose(grads);
    }
    tf.dispose([x, w, labels]);
  });

  beforeAll(registerGradients);

  it('straight-through: the loss of exact mode, the gradient of plain scaled cosine logits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(signedEntry, { minLength: 12, maxLength: 12 }),
        fc.array(signedEntry, { minLength: 9, maxLength: 9 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        fc.constantFrom(
          { name: 'additive-angular', options: { boundary: 'thmm' } },
          { name: 'additive-angular', options: { boundary: 'reflect', m: 0.3 } },
          { name: 'combined', options: { m1: 1.2, m2: 0.3, m3: 0.1 } },
          { name: 'multiplicative-angular', options: { m: 3, lambda: 2 } },
        ),
        async (xs, ws, ls, spec) => {
          const x = tf.tensor2d(xs, [4, 3]);
          const w = tf.tensor2d(ws, [3, 3]);
          const labels = tf.tensor1d(ls, 'int32');
          const exact = createMargin(spec.name, { ...spec.options, s: 16 });
          const straight = createMargin(spec.name, { ...spec.options, s: 16, gradient: 'straight-through' });
          const [a, b] = [marginSoftmaxLoss(x, w, labels, exact), marginSoftmaxLoss(x, w, labels, straight)];
          expect((await b.data())[0]).toBeCloseTo((await a.data())[0] as number, 5);
          const unitRows = (p: tf.Tensor) => tf.div(p, tf.maximum(tf.norm(p, 2, 1, true), 1e-12));
          const cosines = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(unitRows(p), tf.transpose(unitRows(q))) as tf.Tensor2D;
          // The reference: cross-entropy of s·c + shift, where the margin's shift
          // s·(t(c_y) − c_y) on the target column is a constant (computed off the tape).
          const shift = tf.tidy(() => {
            const cos = cosines(x, w);
            return tf.sub(straight.logits(cos, labels), tf.mul(cos, 16));
          });
          const reference = (p: tf.Tensor, q: tf.Tensor) =>
            tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), tf.add(tf.mul(cosines(p, q), 16), shift)) as tf.Scalar;
          const expected = tf.grads(reference)([x, w]);
          const actual = tf.grads((p: tf.Tensor, q: tf.Tensor) => marginSoftmaxLoss(p as tf.Tensor2D, q as tf.Tensor2D, labels, straight))([x, w]);
          for (let i = 0; i < 2; i++) {
            const [e, g] = [await expected[i]!.data(), await actual[i]!.data()];
            const scale = Math.max(1e-3, ...Array.from(e, Math.abs));
            e.forEach((v, j) => expect(Math.abs((g[j] as number) - v) / scale).toBeLessThan(1e-4));
          }
          tf.dispose([x, w, labels, a, b, shift, ...expected, ...actual]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

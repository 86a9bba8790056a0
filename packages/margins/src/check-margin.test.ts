import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { checkMargin } from './check-margin';
import { defineMargin } from './define-margin';
import { createMargin } from './registry';

describeEachBackend('checkMargin', () => {
  it('flags ArcFace without a boundary policy as non-monotone past π − m', async () => {
    for (const m of [0.5, 0.35]) {
      const report = await expectNoLeak(() => checkMargin(createMargin('additive-angular', { m, boundary: 'none' })));
      expect(report.ok).toBe(false);
      // cos(θ + m) also rises above cos θ itself once θ > π − m/2
      expect(report.checks).toEqual({ belowCosine: false, monotone: false, finite: true, finiteGradient: true, exposesState: true });
      for (const v of report.violations.filter((k) => k.law === 'belowCosine')) expect(v.theta).toBeGreaterThan(Math.PI - m / 2);
      const monotone = report.violations.filter((v) => v.law === 'monotone');
      expect(monotone.length).toBeGreaterThan(0);
      for (const v of monotone) expect(v.theta).toBeGreaterThan(Math.PI - m);
      expect(monotone[0]!.detail).toMatch(/rises/);
    }
  });

  it("flags 'easy' as non-monotone at π/2", () => {
    const report = checkMargin(createMargin('additive-angular', { boundary: 'easy' }));
    expect(report.checks.monotone).toBe(false);
    const monotone = report.violations.filter((v) => v.law === 'monotone');
    expect(monotone).toHaveLength(1);
    expect(Math.abs(monotone[0]!.theta - Math.PI / 2)).toBeLessThan(1e-5);
  });

  it('passes thmm, reflect and every other built-in with a monotone policy', () => {
    const margins = [
      createMargin('additive-angular', { boundary: 'thmm' }),
      createMargin('additive-angular', { boundary: 'reflect', m: 0.7 }),
      createMargin('additive-cosine'),
      createMargin('combined', { m1: 0.9, m2: 0.4, m3: 0.15, boundary: 'reflect' }),
      createMargin('combined', { m1: 1.35, m2: 0, m3: 0, boundary: 'reflect' }),
      createMargin('multiplicative-angular', { m: 4, lambda: 0 }),
      createMargin('multiplicative-angular', { m: 3 }),
      createMargin('softmax-normalized'),
      createMargin('additive-angular', { boundary: 'thmm', gradient: 'straight-through' }),
    ];
    for (const margin of margins) {
      const report = checkMargin(margin, { samples: 1025 });
      expect(report.violations, `${margin.name} ${JSON.stringify(margin.options)}`).toEqual([]);
      expect(report.ok).toBe(true);
    }
  });

  it('flags a plugin above cos θ, with NaN values, and with an infinite gradient', () => {
    const easier = defineMargin({
      name: 'easier',
      defaults: {},
      setup: () => ({
        targetLogit: (theta) => (theta > 3 ? Number.NaN : Math.cos(theta) + 0.1),
        target: (c) => tf.add(c, 0.1),
        // d/dc of acos without a clamp: infinite at c = ±1
        targetGradient: (c) => tf.neg(tf.rsqrt(tf.sub(1, tf.square(c)))),
      }),
    });
    const report = checkMargin(easier());
    expect(report.checks).toEqual({ belowCosine: false, monotone: true, finite: false, finiteGradient: false, exposesState: true });
    expect(report.violations.find((v) => v.law === 'finite')!.theta).toBeGreaterThan(3);
    const bad = report.violations.filter((v) => v.law === 'finiteGradient').map((v) => v.theta);
    expect(bad).toContain(0);
    expect(bad).toContain(Math.PI);
    expect(report.violations.filter((v) => v.law === 'belowCosine')).toHaveLength(10); // capped per law
  });

  beforeAll(registerGradients);

  it('differentiates plugins with a tensor target only, or a general logits form', () => {
    const tensorOnly = defineMargin({
      name: 'tensor-only',
      defaults: { m: 0.2 },
      setup: ({ m }) => ({ targetLogit: (theta) => Math.cos(theta) - m, target: (c) => tf.sub(c, m) }),
    });
    expect(checkMargin(tensorOnly()).ok).toBe(true);
    const general = defineMargin({
      name: 'general',
      defaults: {},
      setup: () => ({
        targetLogit: (theta) => Math.cos(theta),
        logits: (cosines) => tf.mul(tf.sqrt(tf.add(cosines, 1)), 1), // d/dc = 1/(2√(c+1)): infinite at c = −1
      }),
    });
    const report = checkMargin(general());
    expect(report.checks.finiteGradient).toBe(false);
    expect(report.violations.find((v) => v.law === 'finiteGradient')!.theta).toBe(Math.PI);
  });
});

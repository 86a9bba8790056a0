import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { checkMargin } from '../margins';
import { customMarginFactory } from './custom-margin';

const FORMULAS = [
  'cos(θ + m)',
  'cos(m1·θ + m2) − m3',
  'cos(θ) - m * θ / pi',
  'θ < pi - m ? cos(θ + m) : -2 - cos(θ + m)',
  'max(cos(θ + m), -1) - 0.1',
];

describeEachBackend('custom margin: tensor form matches the float64 formula', () => {
  beforeAll(registerGradients);

  it.each(FORMULAS)('%s', async (formula) => {
    const margin = customMarginFactory({ name: 'test-custom', formula })({ m: 0.4, m1: 1.1, m2: 0.2, m3: 0.1, s: 16 });
    const thetas = Array.from({ length: 60 }, (_, i) => 0.05 + (i * (Math.PI - 0.1)) / 59);
    const cos = tf.tensor1d(thetas.map(Math.cos));
    const got = await expectNoLeak(() => margin.target!(cos, {}));
    const values = await got.data();
    thetas.forEach((theta, i) => {
      expect(Math.abs((values[i] as number) - margin.targetLogit(theta))).toBeLessThan(2e-3);
    });
    // Differentiable by tfjs autodiff, with finite gradients away from θ = 0, π.
    const gradient = tf.grad((c: tf.Tensor) => tf.sum(margin.target!(c as tf.Tensor1D, {})))(cos);
    const g = await gradient.data();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    tf.dispose([cos, got, gradient]);
  });
});

it('checkMargin tells a valid custom margin from an invalid one', () => {
  expect(checkMargin(customMarginFactory({ name: 'a', formula: 'cos(θ) - m' })()).ok).toBe(true);
  const rising = checkMargin(customMarginFactory({ name: 'b', formula: 'cos(2θ)' })());
  expect(rising.ok).toBe(false);
  expect(rising.violations.map((f) => f.law)).toContain('monotone');
  expect(rising.violations.find((f) => f.law === 'monotone')!.theta).toBeCloseTo(Math.PI / 2, 2);
});

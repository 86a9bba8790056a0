import * as tf from '@tensorflow/tfjs-core';
import { checkMargin, createMargin, listMargins, marginSoftmaxLoss, MarginOptionError, registerMargin, type MarginFn } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { customMarginFactory } from './custom-margin';

const FORMULAS = [
  'cos(θ + m)',
  'cos(m1·θ + m2) − m3',
  'cos(θ) - m * θ / pi',
  'θ < pi - m ? cos(θ + m) : -2 - cos(θ + m)',
  'max(cos(θ + m), -1) - 0.1',
];
const OPTIONS = { m: 0.4, m1: 1.1, m2: 0.2, m3: 0.1, s: 16 };

let unregisters: Array<() => void> = [];
afterEach(() => {
  unregisters.forEach((unregister) => unregister());
  unregisters = [];
});

describe('custom margin as a plugin of @arcface/margins', () => {
  it('registers through registerMargin and rebuilds from its name and options', () => {
    // A name known only at run time, as the page's are (no module augmentation).
    const name: string = 'test-linear';
    unregisters.push(registerMargin(name, customMarginFactory({ name, formula: 'cos(θ) − m·θ/π' })));
    expect(listMargins()).toContain(name);
    const margin = createMargin(name, { m: 0.3, s: 20 });
    expect(margin.name).toBe('test-linear');
    expect(margin.scale).toBe(20);
    expect(margin.options).toEqual({ m: 0.3, m1: 1, m2: 0.3, m3: 0.2, lambda: 5, s: 20, gradient: 'exact' });
    expect(margin.targetLogit(1)).toBeCloseTo(Math.cos(1) - 0.3 / Math.PI, 14);
    const again = createMargin(margin.name, margin.options);
    for (const theta of [0, 0.5, 2, Math.PI]) expect(again.targetLogit(theta)).toBe(margin.targetLogit(theta));
  });

  it('refuses an option it does not know and a parameter that is not a finite number, naming them', () => {
    const factory = customMarginFactory({ name: 'test-options', formula: 'cos(θ + m)' });
    expect(() => factory({ formula: 'cos(θ)' } as never)).toThrow(MarginOptionError);
    expect(() => factory({ formula: 'cos(θ)' } as never)).toThrow(/test-options: option 'formula' is not an option/);
    expect(() => factory({ m: Number.NaN })).toThrow(/option 'm' must be a finite number, got NaN/);
    try {
      factory({ m2: Number.POSITIVE_INFINITY });
      expect.unreachable();
    } catch (error) {
      expect((error as MarginOptionError).code).toBe('ERR_MARGIN_OPTION');
    }
  });

  it('passes the parser errors through for a bad formula', () => {
    expect(() => customMarginFactory({ name: 'bad', formula: 'cos(θ + ' })).toThrow(/ends too early/);
  });
});

describeEachBackend('custom margin: tensor form', () => {
  beforeAll(registerGradients);

  it.each(FORMULAS)('%s matches the float64 formula, is leak-free, and autodiff matches finite differences', async (formula) => {
    const margin = customMarginFactory({ name: 'test-custom', formula })(OPTIONS);
    const thetas = Array.from({ length: 60 }, (_, i) => 0.05 + (i * (Math.PI - 0.1)) / 59);
    const cos = tf.tensor1d(thetas.map(Math.cos));
    const got = await expectNoLeak(() => margin.target!(cos, {}));
    const values = await got.data();
    thetas.forEach((theta, i) => {
      expect(Math.abs((values[i] as number) - margin.targetLogit(theta))).toBeLessThan(2e-3);
    });
    const gradient = tf.grad((c: tf.Tensor) => tf.sum(margin.target!(c as tf.Tensor1D, {})))(cos);
    const slopes = await gradient.data();
    thetas.forEach((theta, i) => {
      // dt/dc from float64 central differences; float32 acos loses digits as sin θ → 0.
      const expected = margin.targetDerivative!(Math.cos(theta));
      if (!Number.isFinite(expected) || Math.sin(theta) < 0.1) return;
      expect(Math.abs((slopes[i] as number) - expected), `θ = ${theta}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(expected)));
    });
    tf.dispose([cos, got, gradient]);
  });

  it('trains like the built-in it spells out: cos(θ + m) is ArcFace without a boundary', async () => {
    const custom = customMarginFactory({ name: 'test-arc', formula: 'cos(θ + m)' })({ m: 0.5, s: 8 });
    const arc = createMargin('additive-angular', { m: 0.5, s: 8, boundary: 'none' });
    const x = tf.tensor2d([[1, 0.2, -0.3], [0.1, 1, 0.4], [-1, 0.3, 0.2], [0.5, -0.5, 1]]);
    const w = tf.tensor2d([[1, 0, 0], [0, 1, 0], [-1, 0, 0.1]]);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    // The custom margin goes through tfjs autodiff, ArcFace through the closed-form backward pass.
    const run = (margin: MarginFn) => marginSoftmaxLoss(x, w, y, margin);
    const gradsOf = (margin: MarginFn) => tf.grads((a, b) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, y, margin))([x, w]);
    const [lossCustom, lossArc] = [run(custom), run(arc)];
    expect((await lossCustom.data())[0]).toBeCloseTo((await lossArc.data())[0] as number, 4);
    const [customGrads, arcGrads] = [gradsOf(custom), gradsOf(arc)];
    for (let k = 0; k < 2; k += 1) {
      const a = await customGrads[k]!.data();
      const b = await arcGrads[k]!.data();
      a.forEach((value, i) => expect(Math.abs(value - (b[i] as number))).toBeLessThan(1e-4));
    }
    tf.dispose([x, w, y, lossCustom, lossArc, ...customGrads, ...arcGrads]);
  });

  it('checkMargin tells a valid custom margin from an invalid one, and handles a constant', () => {
    expect(checkMargin(customMarginFactory({ name: 'a', formula: 'cos(θ) - m' })()).ok).toBe(true);
    const rising = checkMargin(customMarginFactory({ name: 'b', formula: 'cos(2θ)' })());
    expect(rising.ok).toBe(false);
    expect(rising.checks.monotone).toBe(false);
    expect(rising.violations.find((f) => f.law === 'monotone')!.theta).toBeCloseTo(Math.PI / 2, 2);
    // A formula without θ: its tensor form still depends on c (with slope 0), so the gradient
    // check runs instead of tfjs refusing a gradient of an unconnected output.
    const flat = checkMargin(customMarginFactory({ name: 'c', formula: '-0.5' })());
    expect(flat.checks.finiteGradient).toBe(true);
    expect(flat.checks.belowCosine).toBe(false);
  });
});

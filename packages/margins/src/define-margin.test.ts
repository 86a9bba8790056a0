import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineMargin } from './define-margin';
import { InvalidMarginError, MarginOptionError } from './errors';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import { createMargin } from './registry';
import type { MarginFn } from './margin-fn';

/** t = cos θ − m·θ/π, given only as a scalar formula. */
const linearAngular = defineMargin({
  name: 'linear-angular',
  defaults: { m: 0.3 },
  validate: (options, fail) => {
    if (options.m < 0) fail('m', `must be ≥ 0, got ${options.m}`);
  },
  setup: ({ m }) => ({ targetLogit: (theta) => Math.cos(theta) - (m * theta) / Math.PI }),
});

describe('defineMargin', () => {
  it('fills the MarginFn around a scalar formula', () => {
    const margin = linearAngular({ m: 0.2, s: 30 });
    expect(margin.name).toBe('linear-angular');
    expect(linearAngular.marginName).toBe('linear-angular');
    expect(margin.options).toEqual({ m: 0.2, s: 30, gradient: 'exact' });
    expect(margin.scale).toBe(30);
    expect(Object.isFrozen(margin)).toBe(true);
    expect(margin.targetLogit(Math.PI / 2)).toBeCloseTo(-0.1, 12);
    // dt/dc = (dt/dθ)/(dc/dθ) = (−sin θ − m/π)/(−sin θ) = 1 + m/(π sin θ); central differences
    const c = Math.cos(1);
    expect(margin.targetDerivative!(c)).toBeCloseTo(1 + 0.2 / (Math.PI * Math.sin(1)), 6);
  });

  it('runs the plugin validator and the common checks with typed errors', () => {
    expect(() => linearAngular({ m: -1 })).toThrow(MarginOptionError);
    expect(() => linearAngular({ m: -1 })).toThrow("linear-angular: option 'm' must be ≥ 0, got -1");
    expect(() => linearAngular({ s: -1 })).toThrow(/option 's'/);
    expect(() => linearAngular({ mm: 1 } as never)).toThrow(/option 'mm' is not an option/);
    expect(() => defineMargin({ name: '', defaults: {}, setup: () => ({ targetLogit: Math.cos }) })).toThrow(InvalidMarginError);
    const noFormula = defineMargin({ name: 'no-formula', defaults: {}, setup: () => ({}) as never });
    expect(() => noFormula()).toThrow(/setup must return an object with a targetLogit/);
  });
});

describeEachBackend('defineMargin tensor forms', () => {
  it('evaluates a scalar-only formula on the host, with a finite derivative, leak-free', async () => {
    const margin = linearAngular({ m: 0.2 });
    const c = tf.tensor1d([-1, -0.5, 0, 0.5, 1]);
    const target = await expectNoLeak(() => margin.target!(c, {}));
    const slope = await expectNoLeak(() => margin.targetGradient!(c, {}));
    const values = Array.from(await target.data());
    [-1, -0.5, 0, 0.5, 1].forEach((v, i) => expect(values[i]).toBeCloseTo(margin.targetLogit(Math.acos(v)), 6));
    const slopes = Array.from(await slope.data());
    expect(slopes.every(Number.isFinite)).toBe(true);
    expect(slopes[2]).toBeCloseTo(1 + 0.2 / Math.PI, 4);
    tf.dispose([c, target, slope]);
  });

  it('trains through the closed-form loss with the host formula, matching the same margin in tensor ops', async () => {
    const tensorForm = defineMargin({
      name: 'linear-angular-tensor',
      defaults: { m: 0.2 },
      setup: ({ m }) => ({
        targetLogit: (theta) => Math.cos(theta) - (m * theta) / Math.PI,
        target: (c) => tf.sub(c, tf.mul(tf.acos(c), m / Math.PI)),
        // 1 + m/(π sin θ), with sin θ kept away from 0
        targetGradient: (c) => tf.add(1, tf.div(m / Math.PI, tf.sqrt(tf.maximum(tf.sub(1, tf.square(c)), 1e-12)))),
      }),
    });
    const x = tf.tensor2d([[1, 2, 0.5], [-1, 0.3, 2], [0.2, -2, 1]]);
    const w = tf.tensor2d([[1, 0, 0], [0, 1, 1], [-1, 1, 0]]);
    const labels = tf.tensor1d([0, 1, 2], 'int32');
    const host = linearAngular({ m: 0.2, s: 10 });
    const ops = tensorForm({ s: 10 });
    const lossOf = (margin: MarginFn) => (a: tf.Tensor, b: tf.Tensor) =>
      marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin);
    const [hostLoss, opsLoss] = [lossOf(host)(x, w), lossOf(ops)(x, w)];
    expect((await hostLoss.data())[0]).toBeCloseTo((await opsLoss.data())[0] as number, 5);
    const [hostGrads, opsGrads] = [tf.grads(lossOf(host))([x, w]), tf.grads(lossOf(ops))([x, w])];
    for (let i = 0; i < 2; i++) {
      const [a, b] = [await hostGrads[i]!.data(), await opsGrads[i]!.data()];
      b.forEach((v, j) => expect(a[j]).toBeCloseTo(v, 3));
    }
    tf.dispose([x, w, labels, hostLoss, opsLoss, ...hostGrads, ...opsGrads]);
  });

  beforeAll(registerGradients);

  it('builds logits = where(onehot, s·t(c_y), s·c), differentiable by autodiff', async () => {
    const margin = createMargin('additive-cosine', { m: 0.25, s: 10 });
    const cos = tf.tensor2d([[0.5, 0.1], [-0.2, 0.9]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const logits = await expectNoLeak(() => margin.logits(cos, labels));
    expect(Array.from(await logits.data()).map((v) => +v.toFixed(5))).toEqual([2.5, 1, -2, 6.5]);
    const grad = tf.grad((c: tf.Tensor) => margin.logits(c as tf.Tensor2D, labels))(cos);
    expect(Array.from(await grad.data())).toEqual([10, 10, 10, 10]);
    tf.dispose([cos, labels, logits, grad]);
  });
});

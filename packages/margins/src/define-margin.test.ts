import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineMargin } from './define-margin';
import { InvalidMarginError, MarginOptionError } from './errors';
import { hasClosedFormGradient, marginSoftmaxLoss } from './margin-softmax-loss';
import { createMargin } from './registry';
import type { MarginFn } from './margin-fn';
import { cosineRows, softmaxCrossEntropy } from '../test/float64-loss';

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

  it('a margin with its own logits gets no target form: the loss is that of its logits', async () => {
    // CosFace on the target, and every non-target logit raised by 0.2: the target-only pair
    // given beside `logits` would describe CosFace alone and lose the raise.
    const raised = defineMargin({
      name: 'raised-negatives',
      defaults: { m: 0.35, raise: 0.2 },
      setup: ({ m, raise, s }) => ({
        targetLogit: (theta) => Math.cos(theta) - m,
        target: (c) => tf.sub(c, m),
        targetGradient: (c) => tf.onesLike(c),
        logits: (cosines, labels) => {
          const onehot = tf.cast(tf.oneHot(labels, cosines.shape[1]), 'float32');
          // c − m on the target, c + raise elsewhere
          return tf.mul(tf.add(cosines, tf.sub(raise, tf.mul(onehot, m + raise))), s);
        },
      }),
    });
    const xs = [[1, 2, 0.5], [-1, 0.3, 2], [0.2, -2, 1], [0.5, 0.5, -1]];
    const ws = [[1, 0, 0], [0, 1, 1], [-1, 1, 0]];
    const ys = [0, 1, 2, 1];
    const expected = (raise: number) =>
      softmaxCrossEntropy(
        cosineRows(xs, ws).map((row, i) => row.map((c, j) => 10 * (j === ys[i] ? c - 0.35 : c + raise))),
        ys,
      );
    const [x, w, labels] = [tf.tensor2d(xs), tf.tensor2d(ws), tf.tensor1d(ys, 'int32')];
    for (const gradient of ['exact', 'straight-through'] as const) {
      const margin = raised({ s: 10, gradient });
      expect(margin.target, gradient).toBeUndefined();
      expect(margin.targetGradient, gradient).toBeUndefined();
      expect(hasClosedFormGradient(margin)).toBe(false);
      const loss = await expectNoLeak(() => marginSoftmaxLoss(x, w, labels, margin));
      const value = (await loss.data())[0] as number;
      expect(Math.abs(value - expected(0.2)) / expected(0.2), gradient).toBeLessThan(1e-5);
      expect(Math.abs(value - expected(0)), 'not the target-only loss').toBeGreaterThan(0.1);
      loss.dispose();
    }
    tf.dispose([x, w, labels]);
  });

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

import * as tf from '@tensorflow/tfjs-core';
import { checkMargin, marginSoftmaxLoss } from '@arcface/margins';
import { InvalidArgumentError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineRows, numericGradient, randomCosines, seeded, uniFaceReference } from '../test/float64-reference';
import { expectMatrixClose, toMatrix } from '../test/helpers';
import { isUniFace, uniFace, uniFaceInitialBias, uniFaceLoss, unifiedCrossEntropy } from './uniface';

const labels = [1, 0, 2, 2, 4, 3];

describe('uniFace (float64)', () => {
  it('starts its bias at log(C·r·10)', () => {
    expect(uniFaceInitialBias(1000)).toBeCloseTo(Math.log(10000), 14);
    expect(uniFaceInitialBias(10, 2)).toBeCloseTo(Math.log(200), 14);
    expect(() => uniFaceInitialBias(0)).toThrow(InvalidArgumentError);
  });
});

describeEachBackend('uniFace', () => {
  beforeAll(registerGradients);
  const random = seeded(17);
  const x = randomCosines(random, 6, 8, -2, 2);
  const w = randomCosines(random, 5, 8, -2, 2);

  it('its loss matches the float64 reference of head.py, including the [−s, s] clip', () => {
    for (const [bias, s] of [[uniFaceInitialBias(5), 64], [0.5, 16], [-80, 64]] as const) {
      const loss = tf.tidy(() => uniFaceLoss(tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32'), bias, { s }));
      const expected = uniFaceReference(cosineRows(x, w), labels, bias, { m: 0.4, s, lambda: 1 });
      expect(Math.abs((loss.dataSync()[0] as number) - expected)).toBeLessThan(1e-4 * Math.max(1, expected));
      loss.dispose();
    }
  });

  it('has the gradient of the float64 reference in the embeddings, the centres and the bias', () => {
    const l = tf.tensor1d(labels, 'int32');
    const bias = 3.1; // near the cosines' scale, so no term is clipped
    const f = (xs: tf.Tensor, ws: tf.Tensor, b: tf.Tensor) =>
      uniFaceLoss(xs as tf.Tensor2D, ws as tf.Tensor2D, l, b as tf.Scalar, { s: 8, lambda: 0.7 });
    const [gx, gw, gb] = tf.grads(f)([tf.tensor2d(x), tf.tensor2d(w), tf.scalar(bias)]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const options = { m: 0.4, s: 8, lambda: 0.7 };
    expectMatrixClose(toMatrix(gx), numericGradient((xs) => uniFaceReference(cosineRows(xs, w), labels, bias, options), x), 2e-4);
    expectMatrixClose(toMatrix(gw), numericGradient((ws) => uniFaceReference(cosineRows(x, ws), labels, bias, options), w), 2e-4);
    const h = 1e-6;
    const cos = cosineRows(x, w);
    const numericBias = (uniFaceReference(cos, labels, bias + h, options) - uniFaceReference(cos, labels, bias - h, options)) / (2 * h);
    expect(Math.abs((gb.dataSync()[0] as number) - numericBias)).toBeLessThan(2e-4);
    tf.dispose([gx, gw, gb, l]);
  });

  it('leaks no tensor', async () => {
    const xs = tf.tensor2d(x);
    const ws = tf.tensor2d(w);
    const l = tf.tensor1d(labels, 'int32');
    await expectNoLeak(() => uniFaceLoss(xs, ws, l, 2));
    const logits = tf.tensor2d(randomCosines(random, 6, 5, -40, 40));
    const bias = tf.scalar(1);
    await expectNoLeak(() => unifiedCrossEntropy(logits, l, bias));
    tf.dispose([xs, ws, l, logits, bias]);
  });

  it('is a MarginFn whose target cos θ − m passes checkMargin; with marginSoftmaxLoss it is CosFace', () => {
    const margin = uniFace();
    expect(isUniFace(margin)).toBe(true);
    expect(checkMargin(margin).ok).toBe(true);
    const cos = randomCosines(random, 6, 5);
    const out = tf.tidy(() => margin.logits(tf.tensor2d(cos), tf.tensor1d(labels, 'int32')));
    expectMatrixClose(toMatrix(out), cos.map((row, i) => row.map((c, j) => 64 * (j === labels[i] ? c - 0.4 : c))), 5e-4);
    out.dispose();
    const loss = tf.tidy(() => marginSoftmaxLoss(tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32'), margin));
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    loss.dispose();
    expect(() => unifiedCrossEntropy(tf.zeros([6, 5]) as tf.Tensor2D, tf.tensor1d(labels, 'int32'), 0, { lambda: -1 })).toThrow(/lambda.*-1/);
  });
});

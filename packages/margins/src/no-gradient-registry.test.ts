// This file never loads tfjs' gradient functions: it proves what works with nothing but
// @tensorflow/tfjs-core, a backend and @arcface/margins, as a consumer would install them.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { expect, it } from 'vitest';
import { matrixRelativeError } from '../test/float64-loss';
import { goldenLosses as golden } from '../test/golden-losses';
import { checkMargin } from './check-margin';
import { defineMargin } from './define-margin';
import { GradientsNotRegisteredError } from './errors';
import { featureNorms } from './feature-norms';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import { createMargin, listMargins } from './registry';
import { softmaxLoss } from './softmax-loss';

const tensorOnlyCosine = defineMargin({
  name: 'tensor-only-cosine',
  defaults: { m: 0.35 },
  setup: ({ m }) => ({ targetLogit: (theta) => Math.cos(theta) - m, target: (c) => tf.sub(c, m) }),
});

describeEachBackend('without a gradient registry', () => {
  it('really has none: tf.grad of a plain op fails', () => {
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(x))(tf.ones([2]))).toThrow(/gradient function not found/);
  });

  it('differentiates marginSoftmaxLoss for every built-in, matching losses.json', async () => {
    for (const c of golden.cases) {
      const x = tf.tensor2d(c.x);
      const w = tf.tensor2d(c.W);
      const labels = tf.tensor1d(c.labels, 'int32');
      const margin = createMargin(c.margin.name, { ...c.margin.options, s: c.s });
      const grads = await expectNoLeak(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin))([x, w]),
      );
      expect(matrixRelativeError(await grads[0]!.data(), c.grad_x), c.id).toBeLessThan(1e-3);
      expect(matrixRelativeError(await grads[1]!.data(), c.grad_W), c.id).toBeLessThan(1e-3);
      tf.dispose([x, w, labels, ...grads]);
    }
    expect(new Set(golden.cases.map((c) => c.margin.name)).size).toBe(listMargins().length);
  });

  it('trains a straight-through plugin with only a tensor target (its gradient is that of cos θ)', async () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const w = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const labels = tf.tensor1d([0, 2], 'int32');
    const margin = tensorOnlyCosine({ gradient: 'straight-through', s: 8 });
    const grad = tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, w, labels, margin))(x);
    expect(Array.from(await grad.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, w, labels, grad]);
  });

  it('throws GradientsNotRegisteredError for a plugin that needs autodiff', () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const w = tf.tensor2d([[1, 0], [0, 1]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const margin = tensorOnlyCosine();
    // The value needs no gradients…
    tf.dispose(marginSoftmaxLoss(x, w, labels, margin));
    // …the gradient does, and says how to get them.
    const attempt = () => tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, w, labels, margin))(x);
    expect(attempt).toThrow(GradientsNotRegisteredError);
    expect(attempt).toThrow(/@tensorflow\/tfjs-layers/);
    try {
      attempt();
    } catch (error) {
      expect((error as GradientsNotRegisteredError).code).toBe('ERR_GRADIENTS_NOT_REGISTERED');
    }
    expect(() => checkMargin(margin)).toThrow(GradientsNotRegisteredError);
    tf.dispose([x, w, labels]);
  });

  it('names the missing registry for a general margin whose logits pool sub-centre columns', () => {
    // Cosines [B, C·K] → logits [B, C]: the check must use the batch's own width, not a fixed one.
    const pooledMax = defineMargin({
      name: 'pooled-max',
      defaults: { k: 3 },
      setup: ({ k, s }) => ({
        targetLogit: Math.cos,
        logits: (c) => tf.mul(tf.max(tf.reshape(c, [c.shape[0], c.shape[1] / k, k]), 2), s),
      }),
    });
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const w = tf.tensor2d([[1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [1, -1]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const attempt = () => tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, w, labels, pooledMax()))(x);
    expect(attempt).toThrow(GradientsNotRegisteredError);
    expect(attempt).toThrow(/'pooled-max'/);
    tf.dispose([x, w, labels]);
  });

  it('differentiates the feature norms handed to margins: d‖x‖/dx = x̂, 0 at x = 0', async () => {
    const x = tf.tensor2d([[3, 4], [0, 0], [-1, 0]]);
    const norms = await expectNoLeak(() => featureNorms(x));
    expect(Array.from(await norms.data())).toEqual([5, 0, 1]);
    const dy = tf.tensor1d([1, 1, 2]);
    const grad = await expectNoLeak(() => tf.grad((a: tf.Tensor) => featureNorms(a as tf.Tensor2D))(x, dy));
    Array.from(await grad.data()).forEach((v, i) => expect(v).toBeCloseTo([0.6, 0.8, 0, 0, -2, 0][i] as number, 6));
    tf.dispose([x, norms, dy, grad]);
  });

  it('differentiates the plain softmax head', async () => {
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    const w = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const b = tf.tensor1d([0, 0.5, -0.5]);
    const labels = tf.tensor1d([0, 2], 'int32');
    const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      softmaxLoss(a as tf.Tensor2D, c as tf.Tensor2D, labels, d as tf.Tensor1D),
    )([x, w, b]);
    // dL/db = mean over the batch of softmax − onehot: its entries sum to 0
    const db = Array.from(await grads[2]!.data());
    expect(Math.abs(db.reduce((a, v) => a + v, 0))).toBeLessThan(1e-6);
    expect(db.every((v) => v !== 0)).toBe(true);
    tf.dispose([x, w, b, labels, ...grads]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { matrixRelativeError } from '../test/float64-loss';
import { goldenLosses as golden, type LossCase } from '../test/golden-losses';
import { beforeAll, expect, it } from 'vitest';
import { defineMargin } from './define-margin';
import { marginLogits } from './margin-logits';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import type { MarginFn } from './margin-fn';
import { createMargin } from './registry';

function inputs(c: LossCase) {
  return {
    x: tf.tensor2d(c.x),
    w: tf.tensor2d(c.W),
    labels: tf.tensor1d(c.labels, 'int32'),
    margin: createMargin(c.margin.name, { ...c.margin.options, s: c.s }),
  };
}

describeEachBackend('marginSoftmaxLoss against losses.json (exact gradients)', () => {
  it('covers every case of the golden file', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const c of golden.cases) {
    it(`loss within 1e-5 relative, dL/dx and dL/dW within 1e-3 relative: ${c.id}`, async () => {
      const { x, w, labels, margin } = inputs(c);
      const loss = await expectNoLeak(() => marginSoftmaxLoss(x, w, labels, margin));
      expect(Math.abs((await loss.data())[0] as number - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
      const grads = await expectNoLeak(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin))([x, w]),
      );
      expect(matrixRelativeError(await grads[0]!.data(), c.grad_x)).toBeLessThan(1e-3);
      expect(matrixRelativeError(await grads[1]!.data(), c.grad_W)).toBeLessThan(1e-3);
      tf.dispose([x, w, labels, loss, ...grads]);
    });
  }

  it('marginLogits matches the golden logits', async () => {
    for (const c of golden.cases) {
      const { x, w, labels, margin } = inputs(c);
      const logits = await expectNoLeak(() => marginLogits(x, w, labels, margin));
      const values = await logits.data();
      c.logits.flat().forEach((e, i) => expect(Math.abs((values[i] as number) - e), c.id).toBeLessThan(2e-5 * c.s));
      tf.dispose([x, w, labels, logits]);
    }
  });

  it('stays finite at s = 64 when the logits are far apart', async () => {
    const x = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    const w = tf.tensor2d([[-1, 0], [1, 0.001]]);
    const labels = tf.tensor1d([0, 1, 1], 'int32');
    const margin = createMargin('additive-angular', { s: 64, boundary: 'reflect' });
    const loss = marginSoftmaxLoss(x, w, labels, margin);
    const value = (await loss.data())[0] as number;
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(60); // sample 0 sits at θ = π from its centre: a loss near 2·64
    tf.dispose([x, w, labels, loss]);
  });

  beforeAll(registerGradients);

  it('takes the autodiff path for a margin with only a tensor target, with the same result', async () => {
    // cos θ − 0.35 written as plain tfjs ops, no derivative given: tfjs autodiff differentiates it.
    const autodiffCosine = defineMargin({
      name: 'autodiff-cosine',
      defaults: { m: 0.35 },
      setup: ({ m }) => ({ targetLogit: (theta) => Math.cos(theta) - m, target: (c) => tf.sub(c, m) }),
    });
    const c = golden.cases.find((k) => k.margin.name === 'additive-cosine') as LossCase;
    const { x, w, labels } = inputs(c);
    const margin = autodiffCosine({ s: c.s }) as MarginFn;
    expect(margin.targetGradient).toBeUndefined();
    const loss = marginSoftmaxLoss(x, w, labels, margin);
    expect(Math.abs((await loss.data())[0] as number - c.loss) / c.loss).toBeLessThan(1e-5);
    const grads = await expectNoLeak(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin))([x, w]),
    );
    expect(matrixRelativeError(await grads[0]!.data(), c.grad_x)).toBeLessThan(1e-3);
    expect(matrixRelativeError(await grads[1]!.data(), c.grad_W)).toBeLessThan(1e-3);
    tf.dispose([x, w, labels, loss, ...grads]);
  });

  it('agrees with plain autodiff of the same formula (normalise, matMul, margin logits, cross-entropy)', async () => {
    const c = golden.cases.find((k) => k.id.includes('thmm')) as LossCase;
    const { x, w, labels, margin } = inputs(c);
    const reference = (a: tf.Tensor, b: tf.Tensor) => {
      const logits = marginLogits(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin, { validate: false });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, c.W.length), logits) as tf.Scalar;
    };
    const expected = tf.grads(reference)([x, w]);
    const actual = tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin))([x, w]);
    for (let i = 0; i < 2; i++) {
      const e = (await expected[i]!.array()) as number[][];
      expect(matrixRelativeError(await actual[i]!.data(), e)).toBeLessThan(1e-4);
    }
    tf.dispose([x, w, labels, ...expected, ...actual]);
  });

  it('passes feature norms to the margin and adds its regulariser', async () => {
    const seen: number[][] = [];
    const normAware = defineMargin({
      name: 'norm-aware',
      defaults: {},
      setup: () => ({
        targetLogit: (theta) => Math.cos(theta),
        target: (c, context) => {
          seen.push(Array.from(context.featureNorms?.dataSync() ?? []));
          return tf.clone(c);
        },
        targetGradient: (c) => tf.onesLike(c),
        regularizer: (context) => tf.mean(context.featureNorms as tf.Tensor1D) as tf.Scalar,
      }),
    });
    const x = tf.tensor2d([[3, 4], [0, 2]]);
    const w = tf.tensor2d([[1, 0], [0, 1]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    const margin = normAware({ s: 1 });
    const plain = marginSoftmaxLoss(x, w, labels, createMargin('softmax-normalized', { s: 1 }));
    const regularised = await expectNoLeak(() => marginSoftmaxLoss(x, w, labels, margin));
    expect(seen[0]).toEqual([5, 2]);
    expect((await regularised.data())[0]).toBeCloseTo(((await plain.data())[0] as number) + 3.5, 5);
    // d/dx of mean ‖x‖ adds x/(2‖x‖) to the gradient of the cross-entropy
    const [withTerm, without] = [
      tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, w, labels, margin))(x),
      tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, w, labels, createMargin('softmax-normalized', { s: 1 })))(x),
    ];
    const difference = Array.from(await tf.sub(withTerm, without).data());
    expect(difference.map((v) => +v.toFixed(5))).toEqual([0.3, 0.4, 0, 0.5]);
    tf.dispose([x, w, labels, plain, regularised, withTerm, without]);
  });
});

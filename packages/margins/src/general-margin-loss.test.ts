import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import {
  type Matrix,
  cosineRows,
  matrixRelativeError,
  numericGradient,
  randomMatrix,
  rowNorms,
  softmaxCrossEntropy,
} from '../test/float64-loss';
import { defineMargin } from './define-margin';
import { InvalidLabelsError } from './errors';
import { marginLogits } from './margin-logits';
import { hasClosedFormGradient, marginSoftmaxLoss } from './margin-softmax-loss';
import type { MarginContext, MarginFn } from './margin-fn';

// The general loss path: margins that give their own `logits`, differentiated by tfjs autodiff.

/** `x` forward, no gradient backward (torch's `.detach()`), as AdaFace treats the norms. */
function detach<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/**
 * t = cos θ_y − k·ln(1 + ‖x‖): a target whose margin grows with the feature norm, as MagFace's
 * m(‖x‖) does. With `detach`, the norm steers the margin but gets no gradient (AdaFace).
 */
const normShifted = defineMargin({
  name: 'norm-shifted-cosine',
  defaults: { k: 0.3, detach: false as boolean },
  setup: ({ k, detach: detached, s }) => ({
    targetLogit: (theta) => Math.cos(theta) - k * Math.log1p(1),
    logits: (cosines, labels, context) => {
      const norms = context.featureNorms ?? (tf.ones([cosines.shape[0]]) as tf.Tensor1D);
      const shift = tf.reshape(tf.mul(tf.log1p(detached ? detach(norms) : norms), k), [-1, 1]);
      const onehot = tf.cast(tf.oneHot(labels, cosines.shape[1]), 'float32');
      return tf.mul(tf.sub(cosines, tf.mul(onehot, shift)), s);
    },
  }),
});

/** Sub-centres: cosines [B, C·K] pooled to [B, C] by the max over each class's K columns, then CosFace. */
const pooled = defineMargin({
  name: 'pooled-cosine',
  defaults: { k: 2, m: 0.35 },
  setup: ({ k, m, s }) => ({
    targetLogit: (theta) => Math.cos(theta) - m,
    logits: (cosines, labels) => {
      const [rows, columns] = cosines.shape;
      const best = tf.max(tf.reshape(cosines, [rows, columns / k, k]), 2) as tf.Tensor2D;
      const onehot = tf.cast(tf.oneHot(labels, columns / k), 'float32');
      return tf.mul(tf.sub(best, tf.mul(onehot, m)), s);
    },
  }),
});

const labels = [0, 2, 1, 2, 0];
const s = 8;
const x = randomMatrix(31, 5, 4, -3, 3); // norms of one to four: ln(1 + ‖x‖) moves with them
const w = randomMatrix(32, 3, 4);

/** The float64 loss of `normShifted`: the norms are those of `x` unless `frozen` gives them. */
function normShiftedLoss(xs: Matrix, ws: Matrix, frozen?: number[]): number {
  const norms = frozen ?? rowNorms(xs);
  const logits = cosineRows(xs, ws).map((row, i) =>
    row.map((c, j) => s * (j === labels[i] ? c - 0.3 * Math.log1p(norms[i] as number) : c)),
  );
  return softmaxCrossEntropy(logits, labels);
}

/** The float64 loss of `pooled` with K = 2, m = 0.35. */
function pooledLoss(xs: Matrix, ws: Matrix): number {
  const logits = cosineRows(xs, ws).map((row, i) =>
    Array.from({ length: row.length / 2 }, (_, j) => {
      const best = Math.max(row[2 * j] as number, row[2 * j + 1] as number);
      return s * (j === labels[i] ? best - 0.35 : best);
    }),
  );
  return softmaxCrossEntropy(logits, labels);
}

async function lossAndGradients(margin: MarginFn, xs: Matrix, ws: Matrix, context = {}) {
  const [xt, wt, lt] = [tf.tensor2d(xs), tf.tensor2d(ws), tf.tensor1d(labels, 'int32')];
  const loss = await expectNoLeak(() => marginSoftmaxLoss(xt, wt, lt, margin, context));
  const grads = await expectNoLeak(() =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, lt, margin, context))([xt, wt]),
  );
  const out = { loss: (await loss.data())[0] as number, dx: await grads[0]!.data(), dw: await grads[1]!.data() };
  tf.dispose([xt, wt, lt, loss, ...grads]);
  return out;
}

describeEachBackend('marginSoftmaxLoss, general logits', () => {
  beforeAll(registerGradients);

  it('carries the gradient through ‖x‖: dL/dx and dL/dW match central differences of the float64 loss', async () => {
    const margin = normShifted({ s });
    expect(hasClosedFormGradient(margin)).toBe(false);
    const { loss, dx, dw } = await lossAndGradients(margin, x, w);
    expect(Math.abs(loss - normShiftedLoss(x, w)) / normShiftedLoss(x, w)).toBeLessThan(1e-5);
    const expectedDx = numericGradient((xs) => normShiftedLoss(xs, w), x);
    expect(matrixRelativeError(dx, expectedDx)).toBeLessThan(1e-3);
    expect(matrixRelativeError(dw, numericGradient((ws) => normShiftedLoss(x, ws), w))).toBeLessThan(1e-3);
    // The norm term is not negligible here: without it dL/dx would be this far off.
    const cosinesOnly = numericGradient((xs) => normShiftedLoss(xs, w, rowNorms(x)), x);
    expect(matrixRelativeError(cosinesOnly.flat(), expectedDx)).toBeGreaterThan(2e-2);
  });

  it('a margin that detaches the norms gets the gradient of the cosines alone', async () => {
    const { loss, dx } = await lossAndGradients(normShifted({ s, detach: true }), x, w);
    expect(Math.abs(loss - normShiftedLoss(x, w)) / normShiftedLoss(x, w)).toBeLessThan(1e-5);
    const frozen = rowNorms(x);
    expect(matrixRelativeError(dx, numericGradient((xs) => normShiftedLoss(xs, w, frozen), x))).toBeLessThan(1e-3);
  });

  it('takes the class count from the logits: centres [C·K, D] pooled to [B, C] train', async () => {
    const centres = randomMatrix(33, 3 * 2, 4);
    const { loss, dx, dw } = await lossAndGradients(pooled({ s }), x, centres);
    expect(Math.abs(loss - pooledLoss(x, centres)) / pooledLoss(x, centres)).toBeLessThan(1e-5);
    expect(matrixRelativeError(dx, numericGradient((xs) => pooledLoss(xs, centres), x))).toBeLessThan(1e-3);
    const expectedDw = numericGradient((ws) => pooledLoss(x, ws), centres);
    expect(matrixRelativeError(dw, expectedDw)).toBeLessThan(1e-3);
  });

  it('refuses labels past the logits’ columns and logits of the wrong shape, with typed errors', () => {
    const [xt, lt] = [tf.tensor2d(x), tf.tensor1d([0, 1, 2, 5, 0], 'int32')];
    const centres = tf.tensor2d(randomMatrix(34, 3 * 2, 4)); // 6 rows: label 5 passes the row check
    const attempt = () => marginSoftmaxLoss(xt, centres, lt, pooled({ s }));
    expect(attempt).toThrow(InvalidLabelsError);
    expect(attempt).toThrow(/label 5 is outside \[0, 3\).*'pooled-cosine'/);
    const ok = tf.tensor1d(labels, 'int32');
    const dropsARow = defineMargin({
      name: 'drops-a-row',
      defaults: {},
      setup: () => ({ targetLogit: Math.cos, logits: (c) => tf.slice(c, [1, 0], [-1, -1]) }),
    });
    expect(() => marginSoftmaxLoss(xt, centres, ok, dropsARow())).toThrow(ShapeMismatchError);
    expect(() => marginSoftmaxLoss(xt, centres, ok, dropsARow())).toThrow(/returned logits of shape \[4, 6\], expected \[5, C\]/);
    const flat = defineMargin({
      name: 'flat',
      defaults: {},
      setup: () => ({ targetLogit: Math.cos, logits: (c) => tf.reshape(c, [-1]) }),
    });
    expect(() => marginSoftmaxLoss(xt, centres, ok, flat())).toThrow(ShapeMismatchError);
    tf.dispose([xt, lt, centres, ok]);
  });

  it('tells the margin whether the call trains: false unless `training: true`', async () => {
    const seen: Array<boolean | undefined> = [];
    const recording = defineMargin({
      name: 'recording',
      defaults: {},
      setup: ({ s: scale }) => ({
        targetLogit: Math.cos,
        logits: (c, _labels, context: MarginContext) => {
          seen.push(context.training);
          return tf.mul(c, scale);
        },
      }),
    })({ s });
    const [xt, wt, lt] = [tf.tensor2d(x), tf.tensor2d(w), tf.tensor1d(labels, 'int32')];
    tf.dispose(marginSoftmaxLoss(xt, wt, lt, recording));
    tf.dispose(marginLogits(xt, wt, lt, recording));
    tf.dispose(marginSoftmaxLoss(xt, wt, lt, recording, { training: true }));
    expect(seen).toEqual([false, false, true]);
    // Under tf.grad the loss's own call is the last one (a gradient check before it never trains).
    seen.length = 0;
    tf.dispose(tf.grad((a: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, wt, lt, recording, { training: true }))(xt));
    expect(seen.at(-1)).toBe(true);
    expect(seen.filter((v) => v === true)).toHaveLength(1);
    tf.dispose([xt, wt, lt]);
  });
});

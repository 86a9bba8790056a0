import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { expect, it } from 'vitest';
import { meanTargetAngle } from './mean-target-angle';
import { softmaxLoss } from './softmax-loss';

/** Mean cross-entropy of x·Wᵀ + b in float64, and its gradients, by hand. */
function reference(x: number[][], w: number[][], labels: number[], b: number[]) {
  const B = x.length;
  const logits = x.map((row) => w.map((col, j) => col.reduce((acc, v, k) => acc + v * (row[k] as number), 0) + (b[j] as number)));
  let loss = 0;
  const g = logits.map((row, i) => {
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, v) => a + v, 0);
    loss += Math.log(sum) + max - (row[labels[i] as number] as number);
    return exps.map((e, j) => (e / sum - (j === labels[i] ? 1 : 0)) / B);
  });
  const dx = x.map((_, i) => w[0]!.map((__, k) => w.reduce((acc, col, j) => acc + g[i]![j]! * col[k]!, 0)));
  const dw = w.map((_, j) => x[0]!.map((__, k) => x.reduce((acc, row, i) => acc + g[i]![j]! * row[k]!, 0)));
  const db = w.map((_, j) => g.reduce((acc, row) => acc + row[j]!, 0));
  return { loss: loss / B, dx: dx.flat(), dw: dw.flat(), db };
}

describeEachBackend('softmaxLoss (plain softmax head)', () => {
  it('matches a float64 reference, value and closed-form gradients, leak-free', async () => {
    const xs = [[0.5, -1.2, 2], [1.5, 0.3, -0.7], [-2, 1, 0.1], [0.2, 0.2, 0.2]];
    const ws = [[1, 0, -0.5], [0.3, -1, 2], [-1.2, 0.4, 0.4], [2, 2, -1], [0, 0.1, 0.2]];
    const bs = [0.1, -0.2, 0.3, 0, 0.5];
    const ls = [1, 4, 0, 3];
    const [x, w, b, labels] = [tf.tensor2d(xs), tf.tensor2d(ws), tf.tensor1d(bs), tf.tensor1d(ls, 'int32')];
    const expected = reference(xs, ws, ls, bs);
    const loss = await expectNoLeak(() => softmaxLoss(x, w, labels, b));
    expect((await loss.data())[0]).toBeCloseTo(expected.loss, 5);
    const grads = await expectNoLeak(() =>
      tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => softmaxLoss(p as tf.Tensor2D, q as tf.Tensor2D, labels, r as tf.Tensor1D))([x, w, b]),
    );
    const got = await Promise.all(grads.map((g) => g.data()));
    [expected.dx, expected.dw, expected.db].forEach((e, i) => e.forEach((v, j) => expect(got[i]![j]).toBeCloseTo(v, 5)));
    const noBias = softmaxLoss(x, w, labels);
    expect((await noBias.data())[0]).toBeCloseTo(reference(xs, ws, ls, [0, 0, 0, 0, 0]).loss, 5);
    tf.dispose([x, w, b, labels, loss, noBias, ...grads]);
  });
});

describeEachBackend('meanTargetAngle', () => {
  it('is the mean angle to each sample’s own centre, in degrees', async () => {
    const x = tf.tensor2d([[1, 0], [0, 3], [-1, 0]]);
    const w = tf.tensor2d([[2, 0], [1, 1]]);
    const labels = tf.tensor1d([0, 1, 0], 'int32'); // 0°, 45°, 180°
    const angle = await expectNoLeak(() => meanTargetAngle(x, w, labels));
    expect((await angle.data())[0]).toBeCloseTo(75, 3);
    tf.dispose([x, w, labels, angle]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { angleMatrix, cosineMatrix, l2Normalize, safeAcos } from './index';

describeEachBackend('safeAcos', () => {
  it('equals acos inside (−1, 1) and reaches 0 and π at the ends', async () => {
    const c = tf.tensor1d([-1, -0.5, 0, 0.5, 1]);
    const theta = await expectNoLeak(() => safeAcos(c));
    const values = await theta.data();
    expect(values[0]).toBeCloseTo(Math.PI, 6);
    expect(values[1]).toBeCloseTo(Math.acos(-0.5), 6);
    expect(values[4]).toBe(0);
    theta.dispose();
    c.dispose();
  });

  beforeAll(registerGradients);

  it('has a finite gradient at ±1 and the true one inside', async () => {
    const c = tf.tensor1d([-1, -0.6, 0, 0.6, 1]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(safeAcos(x)))(c);
    const values = Array.from(await grad.data());
    for (const v of values) expect(Number.isFinite(v)).toBe(true);
    expect(values[1]).toBeCloseTo(-1 / Math.sqrt(1 - 0.36), 4);
    expect(values[2]).toBeCloseTo(-1, 5);
    grad.dispose();
    c.dispose();
  });
});

describeEachBackend('cosine and angle matrices', () => {
  it('normalise rows and measure angles between them', async () => {
    const a = tf.tensor2d([[3, 4], [0, 2]]);
    const b = tf.tensor2d([[1, 0], [0, -5]]);
    const unit = l2Normalize(a);
    expect(Array.from(await unit.data())).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0, 1]);
    const cos = await expectNoLeak(() => cosineMatrix(a, b));
    expect(Array.from(await cos.data()).map((v) => +v.toFixed(5))).toEqual([0.6, -0.8, 0, -1]);
    const theta = angleMatrix(a, b);
    expect((await theta.data())[3]).toBeCloseTo(Math.PI, 5);
    tf.dispose([a, b, unit, cos, theta]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { UnknownOptimizerError } from '../errors';
import { adamw } from './adamw';
import { clipByGlobalNorm } from './clip';
import { createOptimizer } from './create-optimizer';
import { sgd } from './sgd';

// Scalar reference implementations, written from the PyTorch documentation's pseudo-code.
function sgdReference(p: number, g: number, v: number, lr: number, mu: number, wd: number) {
  const gg = g + wd * p;
  const vv = mu * v + gg;
  return { p: p - lr * vv, v: vv };
}
function adamwReference(p: number, g: number, m: number, v: number, lr: number, t: number, b1: number, b2: number, eps: number, wd: number) {
  const pp = p * (1 - lr * wd);
  const mm = b1 * m + (1 - b1) * g;
  const vv = b2 * v + (1 - b2) * g * g;
  const mHat = mm / (1 - b1 ** t);
  const vHat = vv / (1 - b2 ** t);
  return { p: pp - (lr * mHat) / (Math.sqrt(vHat) + eps), m: mm, v: vv };
}

describeEachBackend('optimisers', () => {
  it('SGD with momentum and weight decay matches PyTorch over several steps, leak-free', async () => {
    const opt = sgd({ momentum: 0.9, weightDecay: 5e-4 });
    const p0 = [0.5, -1.2, 3];
    const gs = [[0.1, 0.2, -0.3], [0.05, -0.4, 0.2], [1, 0, -1]];
    let p: tf.Tensor = tf.tensor1d(p0);
    let v: tf.Tensor = tf.zeros([3]);
    const ref = p0.map((x) => ({ p: x, v: 0 }));
    for (const [t, g] of gs.entries()) {
      const grad = tf.tensor1d(g);
      const next = await expectNoLeak(() => tf.tidy(() => {
        const r = opt.update(p, grad, [v], 0.1, t + 1);
        return { param: r.param, slot: r.slots[0]! };
      }));
      tf.dispose([p, v, grad]);
      p = next.param;
      v = next.slot;
      ref.forEach((r, i) => Object.assign(r, sgdReference(r.p, g[i]!, r.v, 0.1, 0.9, 5e-4)));
    }
    const got = await p.data();
    ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r.p, 6));
    tf.dispose([p, v]);
  });

  it('AdamW matches the reference with bias correction and decoupled decay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.float({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.float({ min: Math.fround(0.001), max: Math.fround(0.1), noNaN: true }),
        async (g, lr) => {
          const opt = adamw({ weightDecay: 0.1 });
          const p0 = [1, -2, 0.5];
          const out = tf.tidy(() => {
            const r1 = opt.update(tf.tensor1d(p0), tf.tensor1d(g), [tf.zeros([3]), tf.zeros([3])], lr, 1);
            const r2 = opt.update(r1.param, tf.tensor1d(g.map((x) => x / 2)), r1.slots, lr, 2);
            return r2.param;
          });
          const got = await out.data();
          out.dispose();
          p0.forEach((x, i) => {
            const s1 = adamwReference(x, g[i]!, 0, 0, lr, 1, 0.9, 0.999, 1e-8, 0.1);
            const s2 = adamwReference(s1.p, g[i]! / 2, s1.m, s1.v, lr, 2, 0.9, 0.999, 1e-8, 0.1);
            expect(got[i]).toBeCloseTo(s2.p, 4);
          });
        },
      ),
      { numRuns: 15 },
    );
  });

  it('global-norm clipping scales to maxNorm and leaves small gradients alone', async () => {
    const grads = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
    const { norm, clipped } = await expectNoLeak(() => clipByGlobalNorm(grads, 1));
    expect((await norm.data())[0]).toBeCloseTo(5, 5);
    expect(Array.from(await clipped[0]!.data())[0]).toBeCloseTo(0.6, 5);
    const loose = clipByGlobalNorm(grads, 10);
    expect(Array.from(await loose.clipped[1]!.data())).toEqual([0, 4]);
    tf.dispose([...grads, norm, ...clipped, loose.norm, ...loose.clipped]);
  });
});

it('unknown optimiser names are typed errors listing the known ones', () => {
  expect(() => createOptimizer({ name: 'adam' } as never)).toThrow(UnknownOptimizerError);
  expect(() => createOptimizer({ name: 'adam' } as never)).toThrow(/'adam'.*sgd, adamw/);
  expect(createOptimizer({ name: 'sgd' }).options).toMatchObject({ momentum: 0.9, weightDecay: 5e-4 });
});

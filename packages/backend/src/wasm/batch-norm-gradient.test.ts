import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, registerGradients, useBackend } from '@arcface/testing';
import { BATCH_NORM_GRADIENT } from './batch-norm-gradient';
import { useNativeKernels, useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

type Case = { shape: number[]; withScale: boolean; seed: number };

/** ∂/∂(x, γ, β) of Σ dy ⊙ (γ·(x − μ(x))/√(var(x) + ε) + β) by tfjs autodiff on cpu: the reference. */
async function reference(c: Case): Promise<Float32Array[]> {
  await useBackend('cpu');
  const { x, dy, gamma, beta } = inputs(c);
  const axes = c.shape.slice(0, -1).map((_, i) => i);
  const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(xs, axes);
    return tf.sum(tf.mul(dy, tf.add(tf.mul(g, tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, 1e-3)))), b)));
  })([x, gamma, beta]);
  const values = await Promise.all(grads.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, dy, gamma, beta, ...grads]);
  return values;
}

function inputs(c: Case) {
  const channels = c.shape[c.shape.length - 1] as number;
  return {
    x: tf.add(tf.mul(tf.randomNormal(c.shape, 0, 1, 'float32', c.seed), 3), 1),
    dy: tf.randomNormal(c.shape, 0, 1, 'float32', c.seed + 1),
    gamma: c.withScale ? tf.randomUniform([channels], 0.5, 2, 'float32', c.seed + 2) : tf.ones([channels]),
    beta: tf.randomNormal([channels], 0, 1, 'float32', c.seed + 3),
  };
}

async function kernel(c: Case): Promise<Float32Array[]> {
  await useBackend('wasm');
  const { x, dy, gamma, beta } = inputs(c);
  const axes = c.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const outputs = tf.engine().runKernel(BATCH_NORM_GRADIENT, { x, mean, variance, dy, ...(c.withScale ? { scale: gamma } : {}) }, { varianceEpsilon: 1e-3 }) as tf.Tensor[];
  const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, dy, gamma, beta, mean, variance, ...outputs]);
  return values;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst, what).toBeLessThanOrEqual(1e-4 * scale);
}

beforeAll(async () => {
  await registerGradients();
});

for (const native of [true, false]) {
  describe(`wasm ${BATCH_NORM_GRADIENT}, native kernels ${native ? 'on' : 'off'}`, () => {
    useWasmTrainingKernels();
    useNativeKernels(native);

    it('∂x, ∂γ and ∂β equal tfjs autodiff of batch norm over batch statistics on cpu', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            shape: fc.oneof(fc.tuple(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 37 })), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 21 }))),
            withScale: fc.boolean(),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          async (c) => {
            const expected = await reference(c as Case);
            const actual = await kernel(c as Case);
            expectClose(actual[0]!, expected[0]!, `dx ${JSON.stringify(c)}`);
            if (c.withScale) expectClose(actual[1]!, expected[1]!, `dγ ${JSON.stringify(c)}`);
            expectClose(actual[2]!, expected[2]!, `dβ ${JSON.stringify(c)}`);
          },
        ),
        // The first example is large enough to be split among threads.
        { numRuns: 25, seed: 13, examples: [[{ shape: [4, 30, 30, 64], withScale: true, seed: 1 }]] },
      );
    });

    it('leaks nothing', async () => {
      await useBackend('wasm');
      const x = tf.randomNormal([6, 5, 5, 8]);
      const dy = tf.randomNormal([6, 5, 5, 8]);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const gamma = tf.ones([8]);
      await expectNoLeak(() => tf.engine().runKernel(BATCH_NORM_GRADIENT, { x, mean, variance, dy, scale: gamma }, { varianceEpsilon: 1e-3 }) as tf.Tensor[]);
      tf.dispose([x, dy, mean, variance, gamma]);
    });
  });
}

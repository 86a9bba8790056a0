import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, registerGradients, useBackend } from '@arcface/testing';
import { ROW_NORMALIZE, ROW_NORMALIZE_GRADIENT } from './row-normalization';
import { useNativeKernels, useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

type Case = { rows: number; cols: number; scale: number; seed: number };

/** Rows of x, every third one scaled under the clamp (‖x‖ < 1e-12), and an upstream gradient. */
function inputs(c: Case) {
  const tiny = tf.tensor2d(Array.from({ length: c.rows }, (_, r) => (r % 3 === 2 ? 1e-14 : 1)), [c.rows, 1]);
  const x = tf.mul(tf.randomNormal([c.rows, c.cols], 0, 2, 'float32', c.seed), tiny);
  tiny.dispose();
  return { x, dy: tf.randomNormal([c.rows, c.cols], 0, 1, 'float32', c.seed + 1) };
}

/**
 * On cpu, from tfjs ops: x / max(‖x‖, 1e-12), 1 / max(‖x‖, 1e-12), ‖x‖, and by autodiff
 * ∂/∂x of scale·Σ dy ⊙ unit: the reference for both kernels.
 */
async function reference(c: Case): Promise<Float32Array[]> {
  await useBackend('cpu');
  const { x, dy } = inputs(c);
  const unitOf = (v: tf.Tensor) => tf.div(v, tf.maximum(tf.norm(v, 'euclidean', 1, true), 1e-12));
  const values = tf.tidy(() => {
    const norm = tf.norm(x, 'euclidean', 1);
    const gradient = tf.grad((v: tf.Tensor) => tf.mul(tf.sum(tf.mul(dy, unitOf(v))), c.scale))(x);
    return [unitOf(x), tf.div(1, tf.maximum(tf.reshape(norm, [-1, 1]), 1e-12)), tf.cast(tf.greater(tf.reshape(norm, [-1, 1]), 1e-12), 'float32'), norm, gradient];
  });
  const out = await Promise.all(values.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, dy, ...values]);
  return out;
}

async function kernels(c: Case): Promise<Float32Array[]> {
  await useBackend('wasm');
  const { x, dy } = inputs(c);
  const scale = tf.scalar(c.scale);
  const [unit, inverse, unclamped, norm] = tf.engine().runKernel(ROW_NORMALIZE, { x }) as tf.Tensor[];
  const dx = tf.engine().runKernel(ROW_NORMALIZE_GRADIENT, { unit: unit!, inverse: inverse!, unclamped: unclamped!, dy, scale }) as tf.Tensor;
  const outputs = [unit!, inverse!, unclamped!, norm!, dx];
  const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, dy, scale, ...outputs]);
  return values;
}

/** Relative to each row's largest expected value: inverse norms and gradients of tiny rows reach 1e12. */
function expectRowsClose(actual: Float32Array, expected: Float32Array, rows: number, what: string): void {
  const cols = expected.length / rows;
  for (let r = 0; r < rows; r++) {
    let scale = 1e-6;
    let worst = 0;
    for (let c = 0; c < cols; c++) scale = Math.max(scale, Math.abs(expected[r * cols + c]!));
    for (let c = 0; c < cols; c++) worst = Math.max(worst, Math.abs(actual[r * cols + c]! - expected[r * cols + c]!));
    expect(worst, `${what}, row ${r}`).toBeLessThanOrEqual(2e-5 * scale);
  }
}

beforeAll(async () => {
  await registerGradients();
});

for (const native of [true, false]) {
  describe(`wasm ${ROW_NORMALIZE} and ${ROW_NORMALIZE_GRADIENT}, native kernels ${native ? 'on' : 'off'}`, () => {
    useWasmTrainingKernels();
    useNativeKernels(native);

    it('equal tfjs ops and autodiff on cpu, rows under the clamp included', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            rows: fc.integer({ min: 1, max: 40 }),
            cols: fc.integer({ min: 1, max: 70 }),
            scale: fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          async (c) => {
            const expected = await reference(c);
            const actual = await kernels(c);
            const names = ['unit', 'inverse', 'unclamped', 'norm', 'dx'];
            for (const [i, name] of names.entries()) {
              expectRowsClose(actual[i]!, expected[i]!, name === 'norm' ? 1 : c.rows, `${name} ${JSON.stringify(c)}`);
            }
          },
        ),
        // The first example is large enough to be split among threads.
        { numRuns: 25, seed: 19, examples: [[{ rows: 1000, cols: 512, scale: 0.25, seed: 1 }]] },
      );
    });

    it('leak nothing', async () => {
      await useBackend('wasm');
      const x = tf.randomNormal([6, 9]);
      const dy = tf.randomNormal([6, 9]);
      const scale = tf.scalar(2);
      const outputs = await expectNoLeak(() => tf.engine().runKernel(ROW_NORMALIZE, { x }) as tf.Tensor[]);
      const dx = await expectNoLeak(() => tf.engine().runKernel(ROW_NORMALIZE_GRADIENT, { unit: outputs[0]!, inverse: outputs[1]!, unclamped: outputs[2]!, dy, scale }) as tf.Tensor);
      tf.dispose([x, dy, scale, dx, ...outputs]);
    });
  });
}

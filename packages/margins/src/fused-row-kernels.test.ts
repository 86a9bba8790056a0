import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from '@arcface/backend';
import { expectNoLeak, registerGradients, registerTestBackends, useBackend } from '@arcface/testing';
import { matrixRelativeError } from '../test/float64-loss';
import { goldenLosses as golden } from '../test/golden-losses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marginLogits } from './margin-logits';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import { createMargin } from './registry';

describe('marginSoftmaxLoss on wasm with the fused row-normalisation kernels of @arcface/backend', () => {
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    await useBackend('wasm');
    kernels = registerWasmTrainingKernels();
  });
  afterAll(async () => {
    kernels.unregister();
    await useBackend('cpu');
  });

  it('registers the kernels this package looks for', () => {
    expect(tf.getKernel('ArcfaceRowNormalize', 'wasm')).toBeDefined();
    expect(tf.getKernel('ArcfaceRowNormalizeGradient', 'wasm')).toBeDefined();
  });

  for (const c of golden.cases) {
    it(`runs them, and meets losses.json (loss 1e-5, gradients 1e-3 relative): ${c.id}`, async () => {
      const x = tf.tensor2d(c.x);
      const w = tf.tensor2d(c.W);
      const labels = tf.tensor1d(c.labels, 'int32');
      const margin = createMargin(c.margin.name, { ...c.margin.options, s: c.s });
      const grads = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin));
      let result: { value: tf.Scalar; grads: tf.Tensor[] } | undefined;
      const profile = await tf.profile(() => {
        result = grads([x, w]);
        return [result.value, ...result.grads];
      });
      const { value, grads: [dx, dw] } = result!;
      expect(profile.kernelNames).toEqual(expect.arrayContaining(['ArcfaceRowNormalize', 'ArcfaceRowNormalizeGradient']));
      expect(Math.abs(((await value.data())[0] as number) - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
      expect(matrixRelativeError(await dx!.data(), c.grad_x)).toBeLessThan(1e-3);
      expect(matrixRelativeError(await dw!.data(), c.grad_W)).toBeLessThan(1e-3);
      tf.dispose([x, w, labels, value, dx!, dw!]);
    });
  }

  it('leaves autodiff through marginLogits on the tfjs ops, so it stays differentiable', async () => {
    await registerGradients();
    const c = golden.cases[0]!;
    const [x, w] = [tf.tensor2d(c.x), tf.tensor2d(c.W)];
    const labels = tf.tensor1d(c.labels, 'int32');
    const margin = createMargin(c.margin.name, { ...c.margin.options, s: c.s });
    const dx = await expectNoLeak(() => tf.grad((a: tf.Tensor) => tf.sum(marginLogits(a as tf.Tensor2D, w, labels, margin)))(x));
    expect(Array.from(await dx.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, w, labels, dx]);
  });
});

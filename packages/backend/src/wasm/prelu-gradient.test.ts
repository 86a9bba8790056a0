import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, registerGradients, useBackend } from '@arcface/testing';
import { PRELU_INPUT_GRADIENT, PRELU_SLOPE_GRADIENT, preluGradient } from './prelu-gradient';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

/** ∂/∂x and ∂/∂α of Σ w·prelu(x, α) on `backend`, with fixed random x (zeros included), α and w. */
async function preluGrads(backend: string, xShape: number[], alphaShape: number[]): Promise<[number[], number[], string[]]> {
  await useBackend(backend);
  const x = tf.tidy(() => tf.mul(tf.round(tf.randomUniform(xShape, -4, 4, 'float32', 3)), 0.5)); // some exact zeros
  const alpha = tf.randomUniform(alphaShape, 0, 0.5, 'float32', 4);
  const weights = tf.randomUniform(xShape, -1, 1, 'float32', 5);
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = tf.grads((xs: tf.Tensor, a: tf.Tensor) => tf.sum(tf.mul(tf.prelu(xs, a), weights)))([x, alpha]);
  });
  const [dx, dalpha] = grads as [tf.Tensor, tf.Tensor];
  const out: [number[], number[], string[]] = [Array.from(await dx.data()), Array.from(await dalpha.data()), profile.kernels.map((k) => k.name)];
  tf.dispose([x, alpha, weights, dx, dalpha]);
  return out;
}

describe('PReLU gradient on wasm in one pass per input', () => {
  // Gradients first: loading tfjs-layers registers the stock PReLU gradient again.
  beforeAll(registerGradients);
  useWasmTrainingKernels();

  it('is the registered PReLU gradient while the kernels are registered', () => {
    expect(tf.getGradient(tf.Prelu)).toBe(preluGradient);
  });

  // One slope per channel as the backbones share it ([1, 1, C]), as [C], a single slope, and
  // a full-size α (tfjs' formula, not the one-pass kernels).
  for (const [xShape, alphaShape] of [
    [[3, 5, 4, 6], [1, 1, 6]],
    [[7, 9], [9]],
    [[2, 3, 4, 5], [1]],
    [[2, 3, 4], [3, 4]],
  ] as Array<[number[], number[]]>) {
    const perChannel = alphaShape.length < 2 || alphaShape.slice(0, -1).every((d) => d === 1);
    it(`x [${xShape}], α [${alphaShape}]: ∂x and ∂α equal the cpu backend's (${perChannel ? 'one pass each' : "tfjs' formula"})`, async () => {
      const [dxRef, daRef] = await preluGrads('cpu', xShape, alphaShape);
      const [dx, da, kernels] = await expectNoLeak(() => preluGrads('wasm', xShape, alphaShape));
      expect(kernels.includes(PRELU_INPUT_GRADIENT) && kernels.includes(PRELU_SLOPE_GRADIENT)).toBe(perChannel);
      expect(dx).toEqual(dxRef);
      expect(da.length).toBe(daRef.length);
      da.forEach((v, k) => expect(v).toBeCloseTo(daRef[k] as number, 4));
    });
  }
});

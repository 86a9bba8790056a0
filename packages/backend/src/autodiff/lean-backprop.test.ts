import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak, registerGradients, registerTestBackends } from '@arcface/testing';
import { registerWasmTrainingKernels } from '../wasm/register-wasm-training-kernels';
import { disableLeanBackprop, enableLeanBackprop, isLeanBackpropEnabled } from './lean-backprop';

type Layers = typeof import('@tensorflow/tfjs-layers');
let tfl: Layers;

beforeAll(async () => {
  await registerGradients();
  await registerTestBackends();
  registerWasmTrainingKernels();
  tfl = await import('@tensorflow/tfjs-layers');
});
afterEach(() => disableLeanBackprop());

/** A residual conv net with batch norm, PReLU, padding and a dense head: the kernels of the backbones. */
function deepNet(depth: number, side: number): import('@tensorflow/tfjs-layers').LayersModel {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: 40 + k });
  const input = tfl.input({ shape: [side, side, 3] });
  type S = import('@tensorflow/tfjs-layers').SymbolicTensor;
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(0) }).apply(input) as S;
  for (let i = 0; i < depth; i++) {
    let y = tfl.layers.batchNormalization().apply(x) as S;
    y = tfl.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tfl.initializers.constant({ value: 0.25 }) }).apply(y) as S;
    y = tfl.layers.zeroPadding2d({ padding: 1 }).apply(y) as S;
    y = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', useBias: false, kernelInitializer: init(i + 1) }).apply(y) as S;
    y = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(i + 50) }).apply(y) as S;
    x = tfl.layers.add().apply([x, y]) as S;
  }
  x = tfl.layers.flatten().apply(x) as S;
  x = tfl.layers.dense({ units: 6, kernelInitializer: init(99) }).apply(x) as S;
  return tfl.model({ inputs: input, outputs: x });
}

/** Loss value and every trainable weight's gradient, as arrays; peak bytes of the step. */
async function step(model: import('@tensorflow/tfjs-layers').LayersModel, images: tf.Tensor) {
  let peak = 0;
  const base = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(images, { training: true }) as tf.Tensor)) as tf.Scalar);
    return [value, ...Object.values(grads)];
  });
  peak = profile.peakBytes - base;
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(images, { training: true }) as tf.Tensor)) as tf.Scalar);
  const out = { loss: (await value.data())[0] as number, grads: await Promise.all(Object.values(grads).map((g) => g.data())), peak };
  tf.dispose([value, ...Object.values(grads)]);
  // tf.profile returned its result tensors too: release them.
  tf.dispose(profile.result as tf.Tensor[]);
  return out;
}

describeEachBackend('lean backpropagation', () => {
  it('gives bit-identical gradients to tfjs with a lower peak, and leaks nothing', async () => {
    const model = deepNet(6, 16);
    const images = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 7);
    // Moving statistics change with each training call: compare from the same state.
    const state = model.getWeights().map((w) => w.clone());
    const stock = await step(model, images);
    model.setWeights(state);
    enableLeanBackprop();
    const lean = await expectNoLeak(() => step(model, images));
    model.setWeights(state);
    expect(lean.loss).toBe(stock.loss);
    expect(lean.grads.length).toBe(stock.grads.length);
    lean.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(stock.grads[i] as Float32Array)));
    console.info(`peak bytes of one step: tfjs ${stock.peak}, lean ${lean.peak} (${(lean.peak / stock.peak).toFixed(2)}×)`);
    expect(lean.peak).toBeLessThan(0.75 * stock.peak);
    tf.dispose([images, ...state]);
    model.dispose();
  });

  it('handles shared tensors, identity gradients, a given dy and unused inputs without leaks', async () => {
    enableLeanBackprop();
    const x = tf.tensor1d([0.5, -1.5, 2]);
    const w = tf.tensor1d([1, 2, 3]);
    await expectNoLeak(async () => {
      // x used twice in one kernel, identity (clone) of the result, reshape chains.
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.reshape(tf.clone(tf.add(tf.mul(a, a), tf.mul(a, b))), [3]))([x, w]);
      expect(Array.from(await dx!.data())).toEqual([2 * 0.5 + 1, 2 * -1.5 + 2, 2 * 2 + 3]);
      expect(Array.from(await dw!.data())).toEqual([0.5, -1.5, 2]);
      tf.dispose([dx!, dw!]);
      // y shares x's data, with a caller's dy that must survive.
      const dy = tf.tensor1d([3, 4, 5]);
      const [same] = tf.grads((a: tf.Tensor) => tf.clone(a))([x], dy);
      expect(Array.from(await same!.data())).toEqual([3, 4, 5]);
      expect(dy.isDisposed).toBe(false);
      tf.dispose([same!, dy]);
      // An input y does not depend on gets no gradient.
      const { value, grads } = tf.engine().gradients(() => tf.sum(tf.square(x)), [x, w], undefined, true);
      value.dispose();
      expect(grads[1]).toBeUndefined();
      expect(Array.from(await grads[0]!.data())).toEqual([1, -3, 4]);
      tf.dispose(grads.filter((g) => g !== undefined));
    });
    tf.dispose([x, w]);
  });

  it('keeps higher-order gradients right', async () => {
    enableLeanBackprop();
    const x = tf.tensor1d([0.3, -0.7, 1.1]);
    await expectNoLeak(async () => {
      // d²/dx² of x³ = 6x.
      const second = tf.grad((a: tf.Tensor) => tf.sum(tf.grad((b: tf.Tensor) => tf.sum(tf.pow(b, 3)))(a)))(x);
      const values = Array.from(await second.data());
      [0.3, -0.7, 1.1].forEach((v, i) => expect(values[i]).toBeCloseTo(6 * v, 5));
      second.dispose();
    });
    x.dispose();
  });

  it('works under a custom gradient and an optimizer', async () => {
    enableLeanBackprop();
    const squared = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const a = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([a]);
      return { value: tf.square(a), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.mul(2, saved[0]!))] };
    });
    const v = tf.variable(tf.tensor1d([1, -2]));
    const optimizer = tf.train.sgd(0.1);
    await expectNoLeak(() => {
      optimizer.minimize(() => tf.sum(squared(v) as tf.Tensor) as tf.Scalar);
    });
    // v − 0.1 · 2v = 0.8 v
    expect(Array.from(await v.data())).toEqual([Math.fround(0.8), Math.fround(-1.6)]);
    optimizer.dispose();
    v.dispose();
  });
});

it('installs once and restores tfjs', () => {
  const stock = tf.engine().gradients;
  const restore = enableLeanBackprop();
  enableLeanBackprop();
  expect(isLeanBackpropEnabled()).toBe(true);
  expect(tf.engine().gradients).not.toBe(stock);
  restore();
  expect(isLeanBackpropEnabled()).toBe(false);
  expect(tf.engine().gradients).toBe(stock);
});

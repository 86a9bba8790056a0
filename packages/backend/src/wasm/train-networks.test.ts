import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGradients, registerTestBackends, useBackend } from '@arcface/testing';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from './register-wasm-training-kernels';

type Layers = typeof import('@tensorflow/tfjs-layers');

/**
 * Small networks with the layer kinds of iResNet (strided convs, batch norm, PReLU, residual
 * adds, dropout, dense, the BN–Dropout–FC–BN head) and of MobileFaceNet (depthwise convs with
 * stride 2 and a channel multiplier, the global depthwise conv, 1×1 convs). Every gradient
 * the wasm backend needs to train them must exist there and equal the cpu backend's.
 */
function residualNet(tfl: Layers): import('@tensorflow/tfjs-layers').LayersModel {
  const seed = 3;
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed + k });
  const input = tfl.input({ shape: [16, 16, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }).apply(input) as import('@tensorflow/tfjs-layers').SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tfl.initializers.constant({ value: 0.25 }) }).apply(x) as typeof x;
  let y = tfl.layers.batchNormalization().apply(x) as typeof x;
  y = tfl.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(2) }).apply(y) as typeof x;
  y = tfl.layers.batchNormalization().apply(y) as typeof x;
  y = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(y) as typeof x;
  y = tfl.layers.zeroPadding2d({ padding: 1 }).apply(y) as typeof x;
  y = tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init(3) }).apply(y) as typeof x;
  y = tfl.layers.batchNormalization().apply(y) as typeof x;
  let shortcut = tfl.layers.conv2d({ filters: 12, kernelSize: 1, strides: 2, useBias: false, kernelInitializer: init(4) }).apply(x) as typeof x;
  shortcut = tfl.layers.batchNormalization().apply(shortcut) as typeof x;
  let z = tfl.layers.add().apply([y, shortcut]) as typeof x;
  z = tfl.layers.batchNormalization().apply(z) as typeof x;
  z = tfl.layers.dropout({ rate: 0.2, seed: 5 }).apply(z) as typeof x;
  z = tfl.layers.flatten().apply(z) as typeof x;
  z = tfl.layers.dense({ units: 16, kernelInitializer: init(5) }).apply(z) as typeof x;
  z = tfl.layers.batchNormalization().apply(z) as typeof x;
  return tfl.model({ inputs: input, outputs: z });
}

function mobileNet(tfl: Layers): import('@tensorflow/tfjs-layers').LayersModel {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: 20 + k });
  const input = tfl.input({ shape: [16, 16, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(1) }).apply(input) as import('@tensorflow/tfjs-layers').SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(x) as typeof x;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(2) }).apply(x) as typeof x;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(x) as typeof x;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, kernelInitializer: init(3) }).apply(x) as typeof x;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', useBias: false, depthwiseInitializer: init(4) }).apply(x) as typeof x;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(x) as typeof x;
  // Global depthwise conv: a window as large as the map, as MobileFaceNet's GDC.
  x = tfl.layers.depthwiseConv2d({ kernelSize: 4, padding: 'valid', useBias: false, depthwiseInitializer: init(5) }).apply(x) as typeof x;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.flatten().apply(x) as typeof x;
  x = tfl.layers.dense({ units: 16, kernelInitializer: init(6) }).apply(x) as typeof x;
  return tfl.model({ inputs: input, outputs: x });
}

async function gradients(model: import('@tensorflow/tfjs-layers').LayersModel, backend: string): Promise<Float32Array[]> {
  await useBackend(backend);
  const input = tf.tensor4d(Float32Array.from({ length: 4 * 16 * 16 * 3 }, (_, k) => Math.sin(k * 0.37)), [4, 16, 16, 3]);
  const weights = tf.tensor2d(Float32Array.from({ length: 4 * 16 }, (_, k) => Math.cos(k * 1.3)), [4, 16]);
  const { grads, value } = tf.variableGrads(() => {
    const out = model.apply(input, { training: true }) as tf.Tensor;
    return tf.sum(tf.mul(tf.square(out), weights));
  });
  const names = Object.keys(grads).sort();
  const out: Float32Array[] = [];
  for (const name of names) out.push((await grads[name]!.data()) as Float32Array);
  tf.dispose([input, weights, value, ...Object.values(grads)]);
  return out;
}

describe('training small networks on wasm', () => {
  let tfl: Layers;
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    await registerGradients();
    tfl = await import('@tensorflow/tfjs-layers');
    kernels = registerWasmTrainingKernels();
  });
  afterAll(() => kernels.unregister());

  for (const [name, build] of [
    ['iResNet-like', residualNet],
    ['MobileFaceNet-like', mobileNet],
  ] as const) {
    it(`${name}: every gradient exists on wasm and equals cpu's`, async () => {
      await useBackend('cpu');
      const model = build(tfl);
      const reference = await gradients(model, 'cpu');
      const actual = await gradients(model, 'wasm');
      expect(actual.length).toBe(reference.length);
      expect(reference.length).toBeGreaterThan(10);
      // Variables whose true gradient is zero (a bias right before batch norm) carry only
      // rounding noise: they are held to 1e-6 of the largest gradient in the network.
      let overall = 0;
      for (const ref of reference) for (const g of ref) overall = Math.max(overall, Math.abs(g));
      for (let v = 0; v < reference.length; v++) {
        const ref = reference[v]!;
        const got = actual[v]!;
        let scale = 0;
        let worst = 0;
        for (let k = 0; k < ref.length; k++) {
          scale = Math.max(scale, Math.abs(ref[k]!));
          worst = Math.max(worst, Math.abs(got[k]! - ref[k]!));
        }
        expect(worst, `variable ${v} of ${name}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6 * overall);
      }
      model.dispose();
    });
  }
});

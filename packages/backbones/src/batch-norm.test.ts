import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from '@arcface/backend';
import { describeEachBackend, expectNoLeak, registerTestBackends, useBackend } from '@arcface/testing';
import { LeanBatchNormalization, leanBatchNormalization, type BatchNormalizationArgs } from './batch-norm';
import { loadBackbone, saveBackbone } from './io/save-load';
import { createBackbone } from './registry';

type Layer = ReturnType<typeof tfl.layers.batchNormalization>;
const TRAINING = { training: true };

/** A deterministic pseudo-random generator, so shapes and values repeat run to run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Random input of `shape` whose channel `constantChannel` holds one value everywhere (zero variance). */
function input(shape: number[], seed: number, constantChannel?: number): tf.Tensor {
  const random = generator(seed);
  const channels = shape[shape.length - 1]!;
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) {
    // An offset per channel, so μ ≠ 0 and the centring matters.
    values[i] = i % channels === constantChannel ? 0.7 : 3 * (random() - 0.5) + (i % channels) * 0.25;
  }
  return tf.tensor(values, shape);
}

/** The stock layer and the lean one, built for `shape`, with the same random γ, β and moving statistics. */
function pair(shape: number[], seed: number, args: BatchNormalizationArgs = {}): { stock: Layer; lean: Layer } {
  const options = { momentum: 0.9, epsilon: 1e-5, ...args };
  const stock = tfl.layers.batchNormalization(options);
  const lean = leanBatchNormalization(options);
  stock.build(shape);
  lean.build(shape);
  const random = generator(seed);
  const weights = stock.getWeights().map((w) => {
    const values = Array.from({ length: w.size }, () => 0.5 + random());
    return tf.tensor(values, w.shape);
  });
  stock.setWeights(weights);
  lean.setWeights(weights);
  tf.dispose(weights);
  return { stock, lean };
}

/** Loss Σ y·w for a fixed random cotangent w, and its gradients with respect to x and the layer's trainable weights. */
function trainingGradients(layer: Layer, x: tf.Tensor, cotangent: tf.Tensor): { y: tf.Tensor; grads: Record<string, tf.Tensor> } {
  const xv = tf.variable(x, true, `x_${layer.name}`);
  let y: tf.Tensor | undefined;
  const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
  const { grads, value } = tf.variableGrads(() => {
    const out = layer.apply(xv, TRAINING) as tf.Tensor;
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, cotangent)) as tf.Scalar;
  }, vars);
  value.dispose();
  const named: Record<string, tf.Tensor> = { x: grads[xv.name]! };
  for (const w of layer.trainableWeights) named[w.originalName.split('/').pop()!] = grads[(w.read() as tf.Variable).name]!;
  xv.dispose();
  return { y: y!, grads: named };
}

function weightNamed(layer: Layer, name: string): tfl.LayerVariable {
  const found = layer.weights.find((v) => v.originalName.split('/').pop() === name);
  if (found === undefined) throw new Error(`${layer.name} has no weight '${name}'`);
  return found;
}

/** Frees a layer's weights; `Layer.dispose` refuses layers only ever applied to concrete tensors. */
function release(...layers: Layer[]): void {
  for (const layer of layers) for (const weight of layer.weights) weight.dispose();
}

/** max |a − b| / max |b|: the relative error of the tensor as a whole, so near-zero entries do not dominate. */
async function relativeError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [av, bv] = [await a.data(), await b.data()];
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < bv.length; i++) {
    diff = Math.max(diff, Math.abs(av[i]! - bv[i]!));
    scale = Math.max(scale, Math.abs(bv[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** L = Σ w·BN(x) in float64 for rank-2/4 channels-last x (biased variance), as plain arithmetic. */
function lossInFloat64(x: Float64Array, channels: number, gamma: number[], beta: number[], w: Float64Array, epsilon: number): number {
  const count = x.length / channels;
  let loss = 0;
  for (let c = 0; c < channels; c++) {
    let mean = 0;
    for (let i = c; i < x.length; i += channels) mean += x[i]!;
    mean /= count;
    let variance = 0;
    for (let i = c; i < x.length; i += channels) variance += (x[i]! - mean) ** 2;
    variance /= count;
    const inv = 1 / Math.sqrt(variance + epsilon);
    for (let i = c; i < x.length; i += channels) loss += w[i]! * (gamma[c]! * (x[i]! - mean) * inv + beta[c]!);
  }
  return loss;
}

/**
 * One training step of the stock and the lean layer on the same x (one channel constant when
 * there are several) and loss weights: outputs and ∂x, ∂γ, ∂β agree to 1e-5. Seeds: x from
 * `seed`, the weights from seed + 10, the layers from seed + 20.
 */
async function expectTrainingLikeStock(shape: number[], seed: number): Promise<void> {
  const channels = shape[shape.length - 1]!;
  const x = input(shape, seed, channels > 1 ? 1 : undefined);
  const w = input(shape, seed + 10);
  const { stock, lean } = pair(shape, seed + 20);
  const want = trainingGradients(stock, x, w);
  const got = trainingGradients(lean, x, w);
  expect(await relativeError(got.y, want.y), `output ${shape}`).toBeLessThan(1e-5);
  expect(Object.keys(got.grads).sort()).toEqual(['beta', 'gamma', 'x']);
  for (const name of ['x', 'gamma', 'beta']) {
    expect(await relativeError(got.grads[name]!, want.grads[name]!), `∂${name} ${shape}`).toBeLessThan(1e-5);
  }
  tf.dispose([x, w, want.y, got.y, ...Object.values(want.grads), ...Object.values(got.grads)]);
  release(stock, lean);
}

/** Three training calls of the stock and the lean layer (one with a constant channel): equal moving statistics. */
async function expectMovingStatisticsLikeStock(): Promise<void> {
  for (const shape of SHAPES) {
    const { stock, lean } = pair(shape, 40);
    for (let step = 0; step < 3; step++) {
      const x = input(shape, 50 + step, step === 1 ? 0 : undefined);
      tf.dispose([stock.apply(x, TRAINING) as tf.Tensor, lean.apply(x, TRAINING) as tf.Tensor]);
      x.dispose();
    }
    for (const name of ['moving_mean', 'moving_variance']) {
      expect(await relativeError(weightNamed(lean, name).read(), weightNamed(stock, name).read()), `${shape} ${name}`).toBeLessThan(1e-6);
    }
    release(stock, lean);
  }
}

const SHAPES: number[][] = [
  [7, 5],
  [3, 4, 5, 6],
  [2, 7, 3, 9],
];

describeEachBackend('LeanBatchNormalization', (backend) => {
  it('training output and gradients for x, γ, β equal the stock layer’s (rank 2 and 4, a zero-variance channel)', async () => {
    const random = generator(5);
    const shapes = [...SHAPES, [1 + Math.floor(random() * 4), 2 + Math.floor(random() * 6), 2 + Math.floor(random() * 6), 1 + Math.floor(random() * 12)]];
    for (const [k, shape] of shapes.entries()) await expectTrainingLikeStock(shape, 10 + k);
  });

  it('moving mean and variance after several training steps equal the stock layer’s', expectMovingStatisticsLikeStock);

  it('∂L/∂x matches central differences of a float64 reference', async () => {
    for (const shape of [[6, 3], [2, 3, 2, 4]]) {
      const channels = shape[shape.length - 1]!;
      const x = input(shape, 60);
      const w = input(shape, 61);
      const { lean } = pair(shape, 62);
      const [gamma, beta] = ['gamma', 'beta'].map((name) => Array.from(weightNamed(lean, name).read().dataSync()));
      const { y, grads } = trainingGradients(lean, x, w);
      const x64 = Float64Array.from(await x.data());
      const w64 = Float64Array.from(await w.data());
      const h = 1e-5;
      const expected = Array.from(x64, (_, i) => {
        const plus = x64.slice();
        const minus = x64.slice();
        plus[i]! += h;
        minus[i]! -= h;
        return (lossInFloat64(plus, channels, gamma!, beta!, w64, 1e-5) - lossInFloat64(minus, channels, gamma!, beta!, w64, 1e-5)) / (2 * h);
      });
      const reference = tf.tensor(expected, shape);
      expect(await relativeError(grads['x']!, reference), `${shape}`).toBeLessThan(1e-4);
      tf.dispose([x, w, y, reference, ...Object.values(grads)]);
      release(lean);
    }
  });

  it('a frozen γ gets no gradient and no update, and x’s gradient still uses it', async () => {
    const shape = [4, 3, 3, 5];
    const x = input(shape, 70);
    const w = input(shape, 71);
    const { stock, lean } = pair(shape, 72);
    for (const layer of [stock, lean]) weightNamed(layer, 'gamma').trainable = false;
    const want = trainingGradients(stock, x, w);
    const got = trainingGradients(lean, x, w);
    expect(Object.keys(got.grads).sort()).toEqual(['beta', 'x']);
    expect(await relativeError(got.grads['x']!, want.grads['x']!)).toBeLessThan(1e-5);

    // Read by name (freezing γ reorders `weights`), copied: the variables change in place.
    const values = async () => Promise.all(['gamma', 'beta'].map(async (name) => Array.from(await weightNamed(lean, name).read().data())));
    const [gammaBefore, betaBefore] = await values();
    const optimizer = tf.train.sgd(0.5);
    const loss = () => tf.sum(tf.mul(lean.apply(x, TRAINING) as tf.Tensor, w)) as tf.Scalar;
    optimizer.minimize(loss, false, lean.trainableWeights.map((v) => v.read() as tf.Variable));
    const [gammaAfter, betaAfter] = await values();
    expect(gammaAfter).toEqual(gammaBefore);
    expect(betaAfter).not.toEqual(betaBefore);
    optimizer.dispose();
    tf.dispose([x, w, want.y, got.y, ...Object.values(want.grads), ...Object.values(got.grads)]);
    release(stock, lean);
  });

  it('trains without γ or β (scale/center false) like the stock layer with γ = 1, β = 0', async () => {
    const shape = [3, 4, 4, 6];
    const x = input(shape, 80, 2);
    const w = input(shape, 81);
    const stock = tfl.layers.batchNormalization({ epsilon: 1e-5 });
    const lean = leanBatchNormalization({ epsilon: 1e-5, scale: false, center: false });
    stock.build(shape);
    lean.build(shape);
    expect(lean.weights.map((v) => v.originalName.split('/').pop())).toEqual(['moving_mean', 'moving_variance']);
    const want = trainingGradients(stock, x, w);
    const got = trainingGradients(lean, x, w);
    expect(Object.keys(got.grads)).toEqual(['x']);
    expect(await relativeError(got.y, want.y)).toBeLessThan(1e-5);
    expect(await relativeError(got.grads['x']!, want.grads['x']!)).toBeLessThan(1e-5);
    tf.dispose([x, w, want.y, got.y, ...Object.values(want.grads), ...Object.values(got.grads)]);
    release(stock, lean);
  });

  it('inference, and inputs the lean step does not cover (rank 3), take the stock path', async () => {
    for (const shape of [[7, 5], [3, 4, 5, 6], [3, 4, 5]]) {
      const { stock, lean } = pair(shape, 90);
      const x = input(shape, 91);
      const outputs = [stock.apply(x) as tf.Tensor, lean.apply(x) as tf.Tensor, stock.apply(x, { training: false }) as tf.Tensor, lean.apply(x, { training: false }) as tf.Tensor];
      expect(Array.from(await outputs[1]!.data())).toEqual(Array.from(await outputs[0]!.data()));
      expect(Array.from(await outputs[3]!.data())).toEqual(Array.from(await outputs[2]!.data()));
      if (shape.length === 3) {
        const [a, b] = [stock.apply(x, TRAINING) as tf.Tensor, lean.apply(x, TRAINING) as tf.Tensor];
        expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
        tf.dispose([a, b]);
      }
      tf.dispose([x, ...outputs]);
      release(stock, lean);
    }
  });

  it('a training step leaves no tensor behind', async () => {
    const shape = [2, 5, 5, 4];
    const x = input(shape, 100, 3);
    const w = input(shape, 101);
    const { lean } = pair(shape, 102);
    lean.apply(x, TRAINING);
    const result = await expectNoLeak(() => trainingGradients(lean, x, w));
    tf.dispose([result.y, ...Object.values(result.grads)]);
    await expectNoLeak(() => {
      tf.dispose(lean.apply(x, TRAINING) as tf.Tensor);
      tf.dispose(lean.apply(x) as tf.Tensor);
    });
    tf.dispose([x, w]);
    release(lean);
  });

  it('conv → BN → conv: the training step peaks lower than with the stock layer', async () => {
    const shape = [4, 16, 16, 16];
    // Stock wasm has no Conv2DBackpropFilter (@arcface/backend adds it); there the convolutions
    // are pointwise, as dense layers over the channel axis.
    const spatial = tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;
    const peak = async (lean: boolean) => {
      const inputLayer = tfl.input({ shape: shape.slice(1) });
      const kernelInitializer = tfl.initializers.glorotNormal({ seed: 1 });
      const conv = (name: string) =>
        spatial
          ? tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false, name, kernelInitializer })
          : tfl.layers.dense({ units: 16, useBias: false, name, kernelInitializer });
      const norm = lean ? leanBatchNormalization({ name: 'bn' }) : tfl.layers.batchNormalization({ name: 'bn' });
      const output = conv('b').apply(norm.apply(conv('a').apply(inputLayer))) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: inputLayer, outputs: output });
      const x = input(shape, 110);
      const step = () => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(x, TRAINING) as tf.Tensor)) as tf.Scalar);
        expect(Object.keys(grads)).toHaveLength(4);
        tf.dispose([value, ...Object.values(grads)]);
      };
      step();
      const info = await tf.profile(step);
      x.dispose();
      model.dispose();
      return info.peakBytes;
    };
    const stock = await peak(false);
    const lean = await peak(true);
    const kind = spatial ? '3×3 convolutions' : 'pointwise convolutions';
    console.log(`[${backend}] ${kind}, input ${shape.join('×')}, training step peakBytes: stock ${stock}, lean ${lean} (${(lean / stock).toFixed(3)}×)`);
    expect(lean).toBeLessThanOrEqual(0.8 * stock);
  });

  it('saves as a standard BatchNormalization and loads back with the lean training step', async () => {
    const model = createBackbone('tiny-cnn', { inputShape: [8, 8, 1], embeddingSize: 4, channels: [2, 4], seed: 3 });
    const norms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
    expect(norms.length).toBeGreaterThan(0);
    expect(norms.every((layer) => layer instanceof LeanBatchNormalization)).toBe(true);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveBackbone(
      model,
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const topology = JSON.stringify(artifacts!.modelTopology);
    expect(topology).toContain('"class_name":"BatchNormalization"');
    expect(topology).not.toContain('Lean');

    const stock = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(stock.layers.some((layer) => layer instanceof LeanBatchNormalization)).toBe(false);
    const loaded = await loadBackbone(tf.io.fromMemory(artifacts!));
    const loadedNorms = loaded.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
    expect(loadedNorms.map((layer) => layer.name)).toEqual(norms.map((layer) => layer.name));
    expect(loadedNorms.every((layer) => layer instanceof LeanBatchNormalization)).toBe(true);
    expect(loaded.trainableWeights.length).toBe(model.trainableWeights.length);

    const x = input([3, 8, 8, 1], 120);
    const outputs = [model, stock, loaded].map((m) => m.apply(x, TRAINING) as tf.Tensor);
    expect(await relativeError(outputs[2]!, outputs[1]!)).toBeLessThan(1e-5);
    expect(Array.from(await outputs[2]!.data())).toEqual(Array.from(await outputs[0]!.data()));
    tf.dispose([x, ...outputs]);
    for (const m of [model, stock, loaded]) m.dispose();
  });
});

describe('LeanBatchNormalization on wasm with the fused backward of @arcface/backend', () => {
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    kernels = registerWasmTrainingKernels();
    await useBackend('wasm');
  });
  afterAll(async () => {
    kernels.unregister();
    await useBackend('cpu');
  });

  it('registers the kernels the lean layer looks for', () => {
    expect(tf.getKernel('ArcfaceBatchNormGradient', 'wasm')).toBeDefined();
    expect(tf.getKernel('ArcfaceBatchMoments', 'wasm')).toBeDefined();
  });

  it('training output and gradients for x, γ, β equal the stock layer’s (rank 2 and 4, a zero-variance channel)', async () => {
    for (const [k, shape] of [...SHAPES, [4, 9, 9, 20]].entries()) await expectTrainingLikeStock(shape, 40 + k);
  });

  it('moving mean and variance after several training steps equal the stock layer’s', expectMovingStatisticsLikeStock);
});

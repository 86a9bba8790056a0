import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak, registerTestBackends } from '@arcface/testing';
import { frozenFeatureExtractor } from './feature-extractor';
import { compileInference } from './inference-plan';
import { iresnet } from './iresnet';
import { mobileFaceNet } from './mobilefacenet';
import { mlp, tinyCnn } from './small-nets';

type S = tfl.SymbolicTensor;

/** Ranges of the random values each BN / PReLU weight gets, by weight name. */
const RANGES: Record<string, [number, number]> = {
  gamma: [-1.5, 1.5],
  beta: [-1, 1],
  moving_mean: [-1, 1],
  moving_variance: [0.3, 2],
  alpha: [-0.5, 0.8],
};

/**
 * Gives every BatchNormalization and PReLU random statistics and parameters (seeded): freshly
 * built layers have mean 0, variance 1, γ 1, β 0, which a wrong fold would reproduce.
 */
function randomizeStatistics(model: tfl.LayersModel, seed: number): void {
  let next = seed;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'BatchNormalization' && cls !== 'PReLU') continue;
    const values = layer.weights.map((w) => {
      const [lo, hi] = RANGES[w.originalName.split('/').pop()!]!;
      return tf.randomUniform(w.shape as number[], lo, hi, 'float32', (next += 1));
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/**
 * Stock tfjs-layers layers in the combinations the backbones do not use: convolutions with a
 * bias and their own activation, asymmetric zero padding before a depthwise convolution (which
 * tf.fused.depthwiseConv2d cannot take) and before a strided Conv2D, a channel multiplier,
 * a BN without γ and β, ReLU / LeakyReLU / sigmoid, a non-fusable tanh, a PReLU with a slope
 * per position, a pooling layer with no fused form, and BN → Flatten → Dropout → Dense.
 */
function stockNet(): tfl.LayersModel {
  let seed = 40;
  const init = () => tfl.initializers.glorotNormal({ seed: (seed += 1) });
  const input = tfl.input({ shape: [12, 12, 3], name: 'input' });
  let x = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(), biasInitializer: 'randomNormal', name: 'relu_conv' })
    .apply(input) as S;
  x = tfl.layers.batchNormalization({ name: 'bn_after_relu' }).apply(x) as S;
  x = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'asym_pad' }).apply(x) as S;
  x = tfl.layers
    .depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, useBias: true, depthwiseInitializer: init(), biasInitializer: 'randomNormal', name: 'dw' })
    .apply(x) as S;
  x = tfl.layers.batchNormalization({ name: 'dw_bn' }).apply(x) as S;
  x = tfl.layers.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(x) as S;
  const skip = x;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 1, kernelInitializer: init(), name: 'pointwise' }).apply(x) as S;
  x = tfl.layers.batchNormalization({ scale: false, center: false, name: 'bare_bn' }).apply(x) as S;
  x = tfl.layers.reLU({ name: 'relu' }).apply(x) as S;
  x = tfl.layers.add({ name: 'add' }).apply([x, skip]) as S;
  x = tfl.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: 'pad' }).apply(x) as S;
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, kernelInitializer: init(), name: 'strided' }).apply(x) as S;
  x = tfl.layers.activation({ activation: 'sigmoid', name: 'sigmoid' }).apply(x) as S;
  x = tfl.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'tanh', kernelInitializer: init(), name: 'tanh_conv' }).apply(x) as S;
  x = tfl.layers.prelu({ alphaInitializer: tfl.initializers.constant({ value: 0.1 }), name: 'prelu_per_position' }).apply(x) as S;
  x = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(x) as S;
  x = tfl.layers.batchNormalization({ name: 'head_bn' }).apply(x) as S;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as S;
  x = tfl.layers.dropout({ rate: 0.3, name: 'dropout' }).apply(x) as S;
  x = tfl.layers.dense({ units: 6, kernelInitializer: init(), biasInitializer: 'randomNormal', name: 'fc' }).apply(x) as S;
  x = tfl.layers.batchNormalization({ name: 'features' }).apply(x) as S;
  x = tfl.layers.prelu({ name: 'out_prelu' }).apply(x) as S;
  return tfl.model({ inputs: input, outputs: x, name: 'stock' });
}

const NETS: ReadonlyArray<{ name: string; build: () => tfl.LayersModel; input: [number, number, number] }> = [
  { name: 'mobilefacenet', build: () => mobileFaceNet({ inputShape: [32, 32, 3], embeddingSize: 16, width: 0.125, seed: 3 }), input: [32, 32, 3] },
  {
    name: 'mobilefacenet, residual first stage, dropout',
    build: () => mobileFaceNet({ inputShape: [16, 16, 3], embeddingSize: 8, width: 0.125, blocks: [2, 1, 1, 1], dropout: 0.2, seed: 4 }),
    input: [16, 16, 3],
  },
  { name: 'iresnet18', build: () => iresnet(18, { inputShape: [32, 32, 3], embeddingSize: 16, width: 0.125, dropout: 0.2, seed: 5 }), input: [32, 32, 3] },
  { name: 'tiny-cnn', build: () => tinyCnn({ inputShape: [16, 16, 3], embeddingSize: 8, seed: 6 }), input: [16, 16, 3] },
  { name: 'mlp', build: () => mlp({ inputShape: [4, 4, 2], embeddingSize: 5, hidden: [12, 7], seed: 7 }), input: [4, 4, 2] },
  { name: 'stock layers', build: stockNet, input: [12, 12, 3] },
];

/** max |actual − expected| ≤ rtol · max |expected|. */
async function expectClose(actual: tf.Tensor, expected: tf.Tensor, label: string, rtol = 1e-4): Promise<void> {
  expect(actual.shape, label).toEqual(expected.shape);
  const a = await actual.data();
  const e = await expected.data();
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < e.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (e[i] as number)));
  expect(Number.isFinite(worst) && scale > 0, `${label}: finite, non-zero output`).toBe(true);
  expect(worst, `${label}: max |Δ| ${worst} against max |value| ${scale}`).toBeLessThanOrEqual(rtol * scale);
}

function layersOf(model: tfl.LayersModel, cls: string): number {
  return model.layers.filter((l) => l.getClassName() === cls).length;
}

beforeAll(async () => {
  await registerTestBackends();
});

describeEachBackend('compileInference', () => {
  for (const [index, net] of NETS.entries()) {
    it(`${net.name}: equals model.predict with random BN statistics and PReLU slopes, leaks nothing`, async () => {
      const model = net.build();
      randomizeStatistics(model, 100 + index);
      const x = tf.randomNormal([3, ...net.input], 0, 1, 'float32', 9);
      const expected = model.predict(x) as tf.Tensor;
      const plan = compileInference(model);
      const actual = await expectNoLeak(() => plan.predict(x));
      await expectClose(actual, expected, net.name);
      tf.dispose([x, expected, actual]);
      plan.dispose();
      model.dispose();
    });
  }

  it('mobilefacenet: every BN folds into the op before it, every PReLU and padding fuses, only fused ops remain', () => {
    const model = NETS[0]!.build();
    const plan = compileInference(model);
    const s = plan.summary;
    expect(s.foldedBatchNorms).toBe(layersOf(model, 'BatchNormalization'));
    expect(s.standaloneBatchNorms).toBe(0);
    expect(s.batchNormsFoldedIntoNextDense).toBe(0);
    expect(s.fusedActivations).toBe(layersOf(model, 'PReLU'));
    expect(s.fusedPaddings).toBe(layersOf(model, 'ZeroPadding2D'));
    expect(s.eagerLayers).toEqual([]);
    // The 64-group conv (depthwise → split → crops → sum → merge) is one grouped step; its
    // crops' Add and its two Reshapes are inside it.
    expect(s.ops).toEqual({
      conv2d: layersOf(model, 'Conv2D'),
      depthwiseConv2d: layersOf(model, 'DepthwiseConv2D') - 1,
      groupedConv2d: 1,
      matMul: 1,
      add: layersOf(model, 'Add') - 1,
      reshape: 1,
    });
    expect(s.layers).toBe(model.layers.length - 1);
    plan.dispose();
    model.dispose();
  });

  it('iresnet18: the BN before each padded conv stays a multiply-add; the output BN folds into the FC after it', () => {
    const model = NETS[2]!.build();
    const plan = compileInference(model);
    const s = plan.summary;
    // bn1 of each of the 8 blocks reads the block input, which the zero padding follows.
    expect(s.standaloneBatchNorms).toBe(8);
    expect(s.batchNormsFoldedIntoNextDense).toBe(1);
    expect(s.foldedBatchNorms).toBe(layersOf(model, 'BatchNormalization') - 9);
    expect(s.fusedActivations).toBe(layersOf(model, 'PReLU'));
    expect(s.removedLayers).toBe(1);
    expect(s.ops['batchNorm']).toBe(8);
    expect(s.ops['prelu']).toBeUndefined();
    plan.dispose();
    model.dispose();
  });

  it('stock layers: the padding a depthwise conv cannot take stays; unfused layers run as ops or eagerly', () => {
    const model = stockNet();
    const s = compileInference(model).summary;
    expect(s.fusedPaddings).toBe(1);
    expect(s.ops['pad']).toBe(1);
    // dw_bn, bare_bn and features fold back, head_bn forward; bn_after_relu follows a ReLU.
    expect(s.foldedBatchNorms).toBe(3);
    expect(s.batchNormsFoldedIntoNextDense).toBe(1);
    expect(s.standaloneBatchNorms).toBe(1);
    // leaky, relu, sigmoid, out_prelu.
    expect(s.fusedActivations).toBe(4);
    expect(s.eagerLayers).toEqual(['prelu_per_position', 'pool']);
    model.dispose();
  });

  it('owns its weights: compile + dispose frees them all, and predict survives disposing the source model', async () => {
    const model = NETS[0]!.build();
    randomizeStatistics(model, 7);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 10);
    const expected = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const plan = compileInference(model);
    expect(tf.memory().numTensors - before).toBe(plan.summary.weights);
    plan.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const survivor = compileInference(model);
    model.dispose();
    const actual = await expectNoLeak(() => survivor.predict(x));
    await expectClose(actual, expected, 'after model.dispose()');
    // Through the feature-extractor adapter, which flattens and disposes the plan.
    const extractor = frozenFeatureExtractor(survivor, { inputShape: [32, 32, 3] });
    const embedded = await expectNoLeak(() => extractor.embed(x as tf.Tensor4D));
    await expectClose(embedded, actual, 'frozenFeatureExtractor', 0);
    const held = tf.memory().numTensors;
    extractor.dispose();
    expect(held - tf.memory().numTensors).toBe(survivor.summary.weights);
    expect(() => survivor.predict(x)).toThrow(InvalidArgumentError);
    tf.dispose([x, expected, actual, embedded]);
  });

  it('refuses models it cannot plan and inputs of the wrong shape, naming the problem', () => {
    const a = tfl.input({ shape: [3] });
    const b = tfl.input({ shape: [3] });
    const twoInputs = tfl.model({ inputs: [a, b], outputs: tfl.layers.add().apply([a, b]) as S });
    expect(() => compileInference(twoInputs)).toThrow(/one input and one output, got 2 and 1/);

    const inner = tfl.sequential({ name: 'inner', layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    const input = tfl.input({ shape: [3] });
    const nested = tfl.model({ inputs: input, outputs: inner.apply(input) as S });
    expect(() => compileInference(nested)).toThrow(InvalidArgumentError);
    expect(() => compileInference(nested)).toThrow(/layer 'inner' is a nested model/);

    const model = stockNet();
    const before = tf.memory().numTensors;
    expect(() => compileInference(model, { allowEagerLayers: false })).toThrow(/layer 'prelu_per_position' \(PReLU\) has no fused form/);
    expect(tf.memory().numTensors, 'a refused compile frees what it made').toBe(before);

    const plan = compileInference(model);
    expect(() => plan.predict(tf.zeros([1, 12, 13, 3]))).toThrow(ShapeMismatchError);
    expect(() => plan.predict(tf.zeros([12, 12, 3]))).toThrow(/expects input \[B, 12, 12, 3\], got \[12, 12, 3\]/);
    plan.dispose();
    tf.disposeVariables();
  });

  it('property: BN (random statistics) → Flatten → Dense folds into the Dense on random small shapes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        async (h, w, c, units, useBias, seed) => {
          const input = tfl.input({ shape: [h, w, c] });
          let x = tfl.layers.batchNormalization({ epsilon: 0.01 }).apply(input) as S;
          x = tfl.layers.flatten().apply(x) as S;
          x = tfl.layers
            .dense({ units, useBias, kernelInitializer: tfl.initializers.randomNormal({ seed }), biasInitializer: 'randomNormal' })
            .apply(x) as S;
          const model = tfl.model({ inputs: input, outputs: x });
          randomizeStatistics(model, seed);
          const plan = compileInference(model);
          expect(plan.summary.batchNormsFoldedIntoNextDense).toBe(1);
          expect(plan.summary.ops).toEqual({ reshape: 1, matMul: 1 });
          const xs = tf.randomNormal([2, h, w, c], 0, 1, 'float32', seed);
          const expected = model.predict(xs) as tf.Tensor;
          const actual = plan.predict(xs);
          await expectClose(actual, expected, `[${h}, ${w}, ${c}] → ${units}`);
          tf.dispose([xs, expected, actual]);
          plan.dispose();
          model.dispose();
        },
      ),
      { numRuns: 12, seed: 20 },
    );
  });
});

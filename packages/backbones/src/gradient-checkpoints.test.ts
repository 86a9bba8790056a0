import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { InvalidArgumentError } from '@arcface/core';
import { disableLeanBackprop, enableLeanBackprop, registerWasmTrainingKernels } from '@arcface/backend';
import { describeEachBackend, expectNoLeak, registerGradients, registerTestBackends } from '@arcface/testing';
import { checkpointedModel, type CheckpointOptions } from './gradient-checkpoints';
import { iresnet } from './iresnet';
import { mobileFaceNet } from './mobilefacenet';

type Build = () => tfl.LayersModel;

/**
 * A residual net built from stock tfjs-layers layers only (stock BatchNormalization, Dense,
 * Dropout at a non-zero rate in the middle), whatever the backbones' own layers become.
 */
function stockResidualNet(options: { dropout?: number } = {}): tfl.LayersModel {
  let seed = 11;
  const init = () => tfl.initializers.glorotNormal({ seed: (seed += 1) });
  type S = tfl.SymbolicTensor;
  const input = tfl.input({ shape: [8, 8, 2], name: 'input' });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(), name: 'stem' }).apply(input) as S;
  for (let block = 0; block < 3; block += 1) {
    let y = tfl.layers.batchNormalization({ momentum: 0.8, name: `b${block}_bn` }).apply(x) as S;
    y = tfl.layers.activation({ activation: 'relu', name: `b${block}_relu` }).apply(y) as S;
    if (block === 1 && options.dropout !== undefined) y = tfl.layers.dropout({ rate: options.dropout, name: `b${block}_dropout` }).apply(y) as S;
    y = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(), name: `b${block}_conv` }).apply(y) as S;
    x = tfl.layers.add({ name: `b${block}_add` }).apply([x, y]) as S;
  }
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as S;
  x = tfl.layers.dense({ units: 5, kernelInitializer: init(), name: 'fc' }).apply(x) as S;
  x = tfl.layers.batchNormalization({ name: 'features' }).apply(x) as S;
  return tfl.model({ inputs: input, outputs: x });
}

/** A `tf.sequential` model: a plain chain, every layer's output a possible cut, Dropout at rate 0. */
function sequentialNet(): tfl.LayersModel {
  let seed = 30;
  const init = () => tfl.initializers.glorotNormal({ seed: (seed += 1) });
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 4, 2], name: 'flatten' }),
      tfl.layers.dense({ units: 12, kernelInitializer: init(), name: 'fc1' }),
      tfl.layers.batchNormalization({ name: 'bn1' }),
      tfl.layers.dropout({ rate: 0, name: 'dropout' }),
      tfl.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: init(), name: 'fc2' }),
      tfl.layers.batchNormalization({ name: 'bn2' }),
      tfl.layers.dense({ units: 6, kernelInitializer: init(), name: 'fc3' }),
    ],
  });
}

const NETS: ReadonlyArray<{ name: string; build: Build; input: [number, number, number] }> = [
  {
    name: 'mobilefacenet',
    build: () => mobileFaceNet({ inputShape: [32, 32, 3], embeddingSize: 8, width: 0.125, blocks: [2, 2, 2, 1], seed: 5 }),
    input: [32, 32, 3],
  },
  { name: 'iresnet18', build: () => iresnet(18, { inputShape: [16, 16, 3], embeddingSize: 8, width: 0.125, seed: 5 }), input: [16, 16, 3] },
  { name: 'stock layers', build: () => stockResidualNet(), input: [8, 8, 2] },
  { name: 'sequential', build: () => sequentialNet(), input: [4, 4, 2] },
];

/** A loss with a gradient through every embedding coordinate (a plain sum would be flat after the last BN). */
function weightedSum(y: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(y, weights));
}

async function expectClose(actual: tf.Tensor, expected: tf.Tensor, label: string, rtol = 1e-4): Promise<void> {
  expect(actual.shape, label).toEqual(expected.shape);
  const a = await actual.data();
  const e = await expected.data();
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < e.length; i += 1) worst = Math.max(worst, Math.abs((a[i] as number) - (e[i] as number)));
  expect(Number.isFinite(worst), label).toBe(true);
  expect(worst, `${label}: max |Δ| ${worst} against max |value| ${scale}`).toBeLessThanOrEqual(rtol * Math.max(scale, 1e-6));
}

/** Moving statistics and every other non-trainable weight, by name. */
function stateOf(model: tfl.LayersModel): Map<string, tf.Tensor> {
  return new Map(model.nonTrainableWeights.map((w) => [w.originalName, w.read()]));
}

/**
 * One training call under `tf.variableGrads`, plain and checkpointed, on two equal builds:
 * the loss, every trainable variable's gradient and the non-trainable state afterwards agree.
 */
async function expectSameStep(net: (typeof NETS)[number], segments: CheckpointOptions['segments']): Promise<void> {
  const plain = net.build();
  const model = net.build();
  const checkpointed = checkpointedModel(model, { segments });
  if (net.name === 'sequential' && segments === 'blocks') {
    // One plain chain and no block: one segment, nothing recomputed.
    expect(checkpointed.segments).toBe(1);
  } else {
    expect(checkpointed.recomputed).toBeGreaterThan(0);
  }
  const x = tf.randomNormal([3, ...net.input], 0, 1, 'float32', 7);
  const weights = tf.randomNormal([3, plain.outputs[0]!.shape[1] as number], 0, 1, 'float32', 8);

  const plainVars = plain.trainableWeights.map((w) => w.read() as tf.Variable);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const expected = tf.variableGrads(() => weightedSum(plain.apply(x, { training: true }) as tf.Tensor, weights), plainVars);
  const actual = await expectNoLeak(() =>
    tf.variableGrads(() => weightedSum(checkpointed.apply(x, { training: true }), weights), vars),
  );

  await expectClose(actual.value, expected.value, 'loss');
  expect(Object.keys(actual.grads)).toHaveLength(vars.length);
  plain.trainableWeights.forEach((w, i) => {
    expect(model.trainableWeights[i]!.originalName).toBe(w.originalName);
  });
  for (let i = 0; i < vars.length; i += 1) {
    const name = model.trainableWeights[i]!.originalName;
    await expectClose(actual.grads[vars[i]!.name]!, expected.grads[plainVars[i]!.name]!, `∂${name}`);
  }
  const before = stateOf(plain);
  const after = stateOf(model);
  expect(after.size).toBe(before.size);
  for (const [name, value] of before) await expectClose(after.get(name)!, value, name, 1e-6);

  tf.dispose([x, weights, actual.value, expected.value, ...Object.values(actual.grads), ...Object.values(expected.grads)]);
  plain.dispose();
  model.dispose();
}

/**
 * Runs `fn` with `@arcface/backend`'s lean backpropagation (which replaces `engine.gradients`)
 * or with tfjs' own.
 */
async function withBackprop<T>(lean: boolean, fn: () => Promise<T>): Promise<T> {
  if (lean) enableLeanBackprop();
  try {
    return await fn();
  } finally {
    disableLeanBackprop();
  }
}

beforeAll(async () => {
  await registerGradients();
  await registerTestBackends();
  // The wasm backend of tfjs 4.22 lacks the convolution gradients.
  registerWasmTrainingKernels();
});
afterEach(() => disableLeanBackprop());

const CASES: ReadonlyArray<{ segments: CheckpointOptions['segments']; lean: boolean }> = [
  { segments: undefined, lean: false },
  { segments: undefined, lean: true },
  { segments: 'blocks', lean: true },
  { segments: 2, lean: false },
];

describeEachBackend('checkpointedModel', (backend) => {
  for (const net of NETS) {
    for (const { segments, lean } of CASES) {
      const backprop = lean ? 'lean backprop' : 'tfjs backprop';
      it(`${net.name}, segments ${String(segments)}, ${backprop}: value, every gradient and the moving statistics equal the plain model's`, () =>
        withBackprop(lean, () => expectSameStep(net, segments)),
      );
    }
  }

  it('sequential, one layer per segment (the most segments the chain allows)', async () => {
    const net = NETS[3]!;
    expect(checkpointedModel(net.build(), { segments: 7 }).boundaries).toContain('dropout');
    await withBackprop(true, () => expectSameStep(net, 7));
  });

  it('the gradient with respect to the input equals the plain model’s', async () => {
    const plain = NETS[1]!.build();
    const model = NETS[1]!.build();
    const checkpointed = checkpointedModel(model, { segments: 'blocks' });
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 9);
    const weights = tf.randomNormal([2, 8], 0, 1, 'float32', 10);
    const expected = tf.grad((input: tf.Tensor) => weightedSum(plain.apply(input, { training: true }) as tf.Tensor, weights))(x);
    const actual = await expectNoLeak(() =>
      tf.grad((input: tf.Tensor) => weightedSum(checkpointed.apply(input, { training: true }), weights))(x),
    );
    await expectClose(actual, expected, '∂x');
    tf.dispose([x, weights, actual, expected]);
    plain.dispose();
    model.dispose();
  });

  it('outside a gradient, training: true gives the plain value and moves the statistics once', async () => {
    const plain = NETS[1]!.build();
    const model = NETS[1]!.build();
    const checkpointed = checkpointedModel(model, { segments: 'blocks' });
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 17);
    const expected = plain.apply(x, { training: true }) as tf.Tensor;
    const actual = await expectNoLeak(() => checkpointed.apply(x, { training: true }));
    await expectClose(actual, expected, 'value', 1e-6);
    const before = stateOf(plain);
    for (const [name, value] of stateOf(model)) await expectClose(value, before.get(name)!, name, 1e-6);
    tf.dispose([x, expected, actual]);
    plain.dispose();
    model.dispose();
  });

  it('training: false (and no options) is the plain inference pass; moving statistics stay', async () => {
    const model = NETS[0]!.build();
    const checkpointed = checkpointedModel(model);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 11);
    const before = stateOf(model);
    const snapshot = new Map([...before].map(([name, t]) => [name, tf.clone(t)]));
    const expected = model.predict(x) as tf.Tensor;
    for (const options of [{ training: false }, undefined]) {
      const actual = await expectNoLeak(() => checkpointed.apply(x, options));
      expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
      actual.dispose();
    }
    for (const [name, value] of stateOf(model)) expect(Array.from(await value.data())).toEqual(Array.from(await snapshot.get(name)!.data()));
    tf.dispose([x, expected, ...snapshot.values()]);
    model.dispose();
  });

  it('two SGD steps of optimizer.minimize (lean backprop) end at the same weights as without checkpointing', () => withBackprop(true, async () => {
    const plain = NETS[0]!.build();
    const model = NETS[0]!.build();
    const checkpointed = checkpointedModel(model, { segments: 3 });
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 12);
    const weights = tf.randomNormal([4, 8], 0, 1, 'float32', 13);
    const plainOptimizer = tf.train.sgd(0.05);
    const optimizer = tf.train.sgd(0.05);
    for (let step = 0; step < 2; step += 1) {
      plainOptimizer.minimize(() => weightedSum(plain.apply(x, { training: true }) as tf.Tensor, weights));
      await expectNoLeak(() => {
        optimizer.minimize(() => weightedSum(checkpointed.apply(x, { training: true }), weights));
      });
    }
    const expected = new Map(plain.weights.map((w) => [w.originalName, w.read()]));
    expect(model.weights).toHaveLength(expected.size);
    for (const w of model.weights) await expectClose(w.read(), expected.get(w.originalName)!, w.originalName);
    tf.dispose([x, weights]);
    plainOptimizer.dispose();
    optimizer.dispose();
    plain.dispose();
    model.dispose();
  }));

  it('cuts only between blocks and makes as many segments as asked', () => {
    const model = iresnet(18, { inputShape: [16, 16, 3], embeddingSize: 8, width: 0.125 });
    const blocks = checkpointedModel(model, { segments: 'blocks' });
    // The stem, eight basic blocks and the embedding head; the head (last) is not recomputed.
    expect(blocks.segments).toBe(10);
    expect(blocks.recomputed).toBe(9);
    expect(blocks.boundaries).toEqual([
      'stem_prelu',
      ...[1, 2, 3, 4].flatMap((stage) => [`stage${stage}_block1_add`, `stage${stage}_block2_add`]),
    ]);
    for (const segments of [1, 2, 5, 7]) {
      const c = checkpointedModel(model, { segments });
      expect(c.segments).toBe(segments);
      expect(c.boundaries).toHaveLength(segments - 1);
      expect(c.recomputed).toBe(segments - 1);
    }
    // With every possible cut, each boundary is a block's output or a layer of the stem's or the
    // head's plain chain, never a tensor inside a block.
    let most = 1;
    while ((() => { try { checkpointedModel(model, { segments: most + 1 }); return true; } catch { return false; } })()) most += 1;
    const all = checkpointedModel(model, { segments: most });
    expect(all.boundaries).toHaveLength(most - 1);
    for (const name of all.boundaries) expect(name).toMatch(/^stem_|_add$|^output_/);
    expect(all.boundaries.filter((n) => n.endsWith('_add'))).toHaveLength(8);
    model.dispose();
  });

  it('a segment with a random layer runs on the tape once, not recomputed', async () => {
    const model = stockResidualNet({ dropout: 0.5 });
    const checkpointed = checkpointedModel(model, { segments: 'blocks' });
    // conv | block 1 | block 2 (with Dropout) | block 3 | head: blocks 1 and 3 and the conv recompute.
    expect(checkpointed.segments).toBe(5);
    expect(checkpointed.recomputed).toBe(3);
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 14);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = await expectNoLeak(() =>
      tf.variableGrads(() => tf.sum(tf.square(checkpointed.apply(x, { training: true }))), vars),
    );
    expect(Object.keys(grads)).toHaveLength(vars.length);
    for (const g of Object.values(grads)) expect((await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, value, ...Object.values(grads)]);
    model.dispose();
  });

  it('refuses bad segment counts and models with several inputs, naming the problem', () => {
    const model = NETS[2]!.build();
    for (const segments of [0, -1, 2.5, Number.NaN, 1000, 'layers' as unknown as number]) {
      expect(() => checkpointedModel(model, { segments })).toThrow(InvalidArgumentError);
    }
    expect(() => checkpointedModel(model, { segments: 1000 })).toThrow(/segments must be 'blocks' or a whole number from 1 to \d+/);
    const a = tfl.input({ shape: [3] });
    const b = tfl.input({ shape: [3] });
    const twoInputs = tfl.model({ inputs: [a, b], outputs: tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor });
    expect(() => checkpointedModel(twoInputs)).toThrow(/one input and one output, got 2 and 1/);
    const checkpointed = checkpointedModel(model);
    expect(() => checkpointed.apply([1, 2] as unknown as tf.Tensor, { training: true })).toThrow(InvalidArgumentError);
    model.dispose();
    twoInputs.dispose();
  });

  for (const lean of [false, true]) {
    const backprop = lean ? 'lean backprop' : 'tfjs backprop';
    it(`a training step of a deeper net peaks lower (tf.profile peakBytes, ${backprop})`, () => withBackprop(lean, async () => {
      const model = mobileFaceNet({ inputShape: [32, 32, 3], embeddingSize: 16, width: 0.25 });
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 15);
      const weights = tf.randomNormal([2, 16], 0, 1, 'float32', 16);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const step = (forward: () => tf.Tensor) => () => {
        const { value, grads } = tf.variableGrads(() => weightedSum(forward(), weights), vars);
        tf.dispose([value, ...Object.values(grads)]);
      };
      // Weights, their gradients and the input are there with or without checkpointing.
      const base = tf.memory().numBytes;
      const plain = (await tf.profile(step(() => model.apply(x, { training: true }) as tf.Tensor))).peakBytes - base;
      const peaks: Record<string, number> = { plain };
      for (const segments of [undefined, 'blocks'] as const) {
        const checkpointed = checkpointedModel(model, { segments });
        const peak = (await tf.profile(step(() => checkpointed.apply(x, { training: true })))).peakBytes - base;
        peaks[`${segments ?? 'default'} (${checkpointed.segments} segments)`] = peak;
        expect(peak, `${String(segments)}: ${peak} B against ${plain} B`).toBeLessThan(0.6 * plain);
      }
      console.log(`[${backend}, ${backprop}] MobileFaceNet 32×32 width 0.25, batch 2, peak bytes of a training step above the weights:`, peaks);
      tf.dispose([x, weights]);
      model.dispose();
    }));
  }
});

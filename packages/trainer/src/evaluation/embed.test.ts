import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { createBackbone } from '@arcface/backbones';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { embedImages, evaluationPlan } from './embed';

/** Moves every BatchNormalization's statistics and affine parameters off their defaults, so that folding them is tested. */
function randomiseBatchNorms(model: tfl.LayersModel): void {
  let seed = 1;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.weights.map((w) => {
        const shape = w.shape as number[];
        // Variances stay positive; everything else is spread around its default.
        return w.name.includes('variance') ? tf.randomUniform(shape, 0.5, 2, 'float32', seed++) : tf.randomUniform(shape, -0.5, 0.5, 'float32', seed++);
      }),
    );
  }
}

async function values(t: tf.Tensor2D): Promise<number[][]> {
  const out = await t.array();
  t.dispose();
  return out;
}

describeEachBackend('evaluation through a compiled plan', () => {
  it('gives the embeddings model.apply gives (flip on and off), leaking nothing', async () => {
    const model = createBackbone('tiny-cnn', { inputShape: [32, 32, 3], embeddingSize: 16 });
    randomiseBatchNorms(model);
    const images = tf.randomUniform([5, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const plan = evaluationPlan(model);
    expect(plan).toBeDefined();
    for (const flip of [true, false]) {
      const reference = await values(embedImages(model, images, { flip }));
      const compiled = await expectNoLeak(() => values(embedImages(model, images, { flip, forward: (x) => plan!.predict(x) })));
      const worst = Math.max(...compiled.flatMap((row, i) => row.map((v, j) => Math.abs(v - reference[i]![j]!))));
      expect(worst).toBeLessThan(1e-5);
    }
    plan!.dispose();
    images.dispose();
    model.dispose();
  });

  it('falls back to the model (undefined) for a graph the plan refuses: a nested model', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3] })] });
    const input = tfl.input({ shape: [3] });
    const outer = tfl.model({ inputs: input, outputs: inner.apply(input) as tfl.SymbolicTensor });
    expect(evaluationPlan(outer)).toBeUndefined();
    outer.dispose();
  });
});

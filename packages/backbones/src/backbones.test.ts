import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { createBackbone } from './registry';

describeEachBackend('backbones', (backend) => {
  const cases = [
    { name: 'tiny-cnn', options: { inputShape: [32, 32, 1] as const, embeddingSize: 16 } },
    { name: 'mlp', options: { inputShape: [8, 8, 3] as const, embeddingSize: 2, hidden: [32] } },
    { name: 'iresnet18', options: { inputShape: [16, 16, 3] as const, embeddingSize: 8, width: 0.125 } },
    { name: 'mobilefacenet', options: { inputShape: [16, 16, 3] as const, embeddingSize: 8, width: 0.125 } },
  ];

  for (const { name, options } of cases) {
    it(`${name}: [B, h, w, c] → [B, D], deterministic for a seed, leak-free`, async () => {
      const a = createBackbone(name, { ...options, seed: 3 });
      const b = createBackbone(name, { ...options, seed: 3 });
      const c = createBackbone(name, { ...options, seed: 4 });
      const x = tf.randomUniform([3, ...options.inputShape], -1, 1, 'float32', 1);
      const ya = await expectNoLeak(() => a.predict(x) as tf.Tensor);
      const yb = b.predict(x) as tf.Tensor;
      const yc = c.predict(x) as tf.Tensor;
      expect(ya.shape).toEqual([3, options.embeddingSize]);
      expect(Array.from(await ya.data())).toEqual(Array.from(await yb.data()));
      expect(Array.from(await ya.data())).not.toEqual(Array.from(await yc.data()));
      expect((await ya.data()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, ya, yb, yc]);
      for (const m of [a, b, c]) m.dispose();
    });
  }

  it('every trainable weight of the MLP gets a finite, non-zero gradient', async () => {
    await registerGradients();
    const model = createBackbone('mlp', { inputShape: [4, 4, 1], embeddingSize: 3, hidden: [8] });
    const x = tf.randomNormal([6, 4, 4, 1], 0, 1, 'float32', 5);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      return tf.sum(tf.square(tf.sub(y, 0.5)));
    }, vars);
    expect(Object.keys(grads)).toHaveLength(vars.length);
    for (const g of Object.values(grads)) {
      const data = await g.data();
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.some((v) => v !== 0)).toBe(true);
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    model.dispose();
  });

  if (backend === 'cpu') {
    it('the tiny CNN trains on cpu: conv kernels get gradients', async () => {
      await registerGradients();
      const model = createBackbone('tiny-cnn', { inputShape: [8, 8, 1], embeddingSize: 4, channels: [4, 8] });
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 6);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)), vars);
      const kernel = Object.entries(grads).find(([n]) => n.includes('stage1_conv'));
      expect(kernel).toBeDefined();
      expect((await kernel![1].data()).some((v) => v !== 0)).toBe(true);
      tf.dispose([x, value, ...Object.values(grads)]);
      model.dispose();
    });
  }
});

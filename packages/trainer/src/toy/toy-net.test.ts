import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';

import { createMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';

import { ToyNet, type ToyHead } from './toy-net';

describeEachBackend('ToyNet', () => {
  beforeAll(async () => {
    await registerGradients();
  });

  const heads: Array<[string, ToyHead]> = [
    ['softmax', { kind: 'softmax' }],
    ['ArcFace', { kind: 'margin', margin: createMargin('additive-angular', { m: 0.5, s: 16 }) }],
  ];
  for (const [name, head] of heads) {
    it(`${name}: learns a separable batch and leaks no tensor`, async () => {
      const shape = { inputSize: 12, hidden: 16, dimension: 2, classes: 4 };
      // Four classes, each a fixed pattern plus small noise.
      const x = tf.tidy(() => tf.add(tf.tile(tf.randomNormal([4, 12], 0, 1, 'float32', 5), [4, 1]), tf.randomNormal([16, 12], 0, 0.05, 'float32', 6))) as tf.Tensor2D;
      const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32');
      const losses = await expectNoLeak(async () => {
        const net = new ToyNet(shape, head, 3, 0.02);
        const values: number[] = [];
        for (let step = 0; step < 60; step += 1) {
          const loss = net.trainStep(x, y, step);
          values.push((await loss.data())[0] as number);
          loss.dispose();
        }
        const features = net.embed(x);
        expect(features.shape).toEqual([16, 2]);
        features.dispose();
        net.dispose();
        return values;
      });
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[59] as number).toBeLessThan(0.5 * (losses[0] as number));
      tf.dispose([x, y]);
    });
  }
});

import * as tf from '@tensorflow/tfjs-core';
import { createMargin } from '@arcface/margins';
import { describeEachBackend, expectNoLeak, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { createToyFaces } from './toy-faces';
import { ToyModel } from './toy-model';

describeEachBackend('ToyModel', () => {
  // The network's own layers are differentiated by autodiff, as in the worker.
  beforeAll(registerGradients);

  it('trains on toy faces with the library loss: leak-free steps, a falling loss', async () => {
    const faces = createToyFaces({ identities: 4, imagesPerIdentity: 8, size: 8, seed: 3, difficulty: 0.3 });
    const inputs = tf.tensor2d(faces.inputs, [faces.labels.length, faces.inputSize]);
    const labels = tf.tensor1d(faces.labels, 'int32');
    const model = new ToyModel({ inputSize: faces.inputSize, hidden: 16, dimension: 2, classes: 4 }, createMargin('additive-angular', { s: 8, m: 0.3 }), 5);
    const losses: number[] = [];
    for (let step = 0; step < 40; step += 1) {
      // Adam makes its moment variables on the first step; from then on a step keeps nothing.
      const loss = step === 1 ? await expectNoLeak(() => model.trainStep(inputs, labels, step)) : model.trainStep(inputs, labels, step);
      losses.push((await loss.data())[0] as number);
      loss.dispose();
    }
    const embedded = model.embed(inputs);
    expect(embedded.shape).toEqual([32, 2]);
    tf.dispose([embedded, inputs, labels]);
    model.dispose();
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[39] as number).toBeLessThan(0.7 * (losses[0] as number));
  });
});

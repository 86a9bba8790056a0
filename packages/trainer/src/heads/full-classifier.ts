import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '../optim/optimizer';
import { fillNormal } from './gaussian';
import type { ClassificationHead, HeadState, HeadStep } from './head';

/**
 * The full classifier: every class centre takes part in every step. Centres are one variable
 * `[C, D]` initialised N(0, 0.01) (insightface), its optimiser slots variables of the same shape.
 *
 * @example
 * const head = fullClassifier({ numClasses: 1000, embeddingSize: 512, seed: 1 });
 */
export function fullClassifier(options: { numClasses: number; embeddingSize: number; seed: number; std?: number }): ClassificationHead {
  const { numClasses, embeddingSize } = options;
  const initial = fillNormal(new Float32Array(numClasses * embeddingSize), options.std ?? 0.01, options.seed);
  const centers = tf.tidy(() => tf.variable(tf.tensor2d(initial, [numClasses, embeddingSize]), true));
  let slots: tf.Variable[] = [];
  const slotsFor = (optimizer: Optimizer): tf.Variable[] => {
    while (slots.length < optimizer.slots.length) slots.push(tf.tidy(() => tf.variable(tf.zerosLike(centers), false)));
    return slots;
  };

  return {
    config: { type: 'full' },
    numClasses,
    embeddingSize,
    prepare(labels: Int32Array): HeadStep {
      const step: HeadStep = {
        centers,
        labels: tf.tensor1d(labels, 'int32'),
        async apply(grad, optimizer, lr, t) {
          const state = slotsFor(optimizer);
          tf.tidy(() => {
            const next = optimizer.update(centers, grad, state, lr, t);
            centers.assign(next.param as tf.Tensor2D);
            next.slots.forEach((s, i) => (state[i] as tf.Variable).assign(s));
          });
        },
        dispose() {
          step.labels.dispose();
        },
      };
      return step;
    },
    fixedCenters(optimizer) {
      return { centers, slots: slotsFor(optimizer) };
    },
    centers() {
      return tf.clone(centers) as tf.Tensor2D;
    },
    async getState(): Promise<HeadState> {
      const [own, ...rest] = await Promise.all([centers, ...slots].map(async (v) => (await v.data()) as Float32Array));
      return { centers: own as Float32Array, slots: rest };
    },
    setState(state) {
      tf.tidy(() => centers.assign(tf.tensor2d(state.centers, [numClasses, embeddingSize])));
      tf.dispose(slots);
      slots = state.slots.map((s) => tf.tidy(() => tf.variable(tf.tensor2d(s, [numClasses, embeddingSize]), false)));
    },
    dispose() {
      tf.dispose([centers, ...slots]);
      slots = [];
    },
  };
}

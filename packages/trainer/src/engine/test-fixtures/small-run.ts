import * as tf from '@tensorflow/tfjs-core';
import { createSyntheticFaces } from '@arcface/data';
import type { TrainerConfig } from '../trainer-config';

/**
 * A small, fast, fully deterministic run shared by the engine tests and the child process they
 * kill: an MLP on 8×8 synthetic faces (trains on every backend), flip augmentation, SGD.
 */
export function smallRunConfig(overrides: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    backbone: { name: 'mlp', options: { inputShape: [8, 8, 3], embeddingSize: 8, hidden: [16] } },
    margin: { name: 'additive-angular', options: { m: 0.5, s: 8 } },
    data: createSyntheticFaces({ identities: 6, imagesPerIdentity: 6, size: 8, seed: 3, cacheSize: 64 }),
    augment: { flip: 0.5 },
    batchSize: 8,
    steps: 8,
    seed: 5,
    optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { type: 'polynomial', lr: 0.05, warmupSteps: 2, totalSteps: 8 },
    ...overrides,
  };
}

/** Every model weight and every centre, flattened, for comparisons. */
export async function snapshot(trainer: { model: { weights: Array<{ read(): tf.Tensor }> }; head: { centers(): tf.Tensor2D } }): Promise<Float32Array[]> {
  const out = await Promise.all(trainer.model.weights.map((w) => w.read().data() as Promise<Float32Array>));
  const centers = trainer.head.centers();
  out.push((await centers.data()) as Float32Array);
  centers.dispose();
  return out;
}

/** Largest absolute difference between two snapshots. */
export function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  let max = 0;
  if (a.length !== b.length) return Infinity;
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    if (x.length !== y.length) max = Infinity;
    for (let k = 0; k < x.length; k++) max = Math.max(max, Math.abs((x[k] as number) - (y[k] as number)));
  });
  return max;
}

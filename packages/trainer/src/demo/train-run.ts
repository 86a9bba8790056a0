import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@arcface/data';
import { marginSoftmaxLoss, softmaxLoss, type MarginFn } from '@arcface/margins';

import type { ThetaSnapshot } from '../plots/theta-distribution';
import { quantile } from './statistics';

/** What the demo trains a backbone against: a margin head, or the plain softmax baseline. */
export type DemoObjective = { readonly kind: 'margin'; readonly margin: MarginFn } | { readonly kind: 'softmax' };

export interface TrainRunOptions {
  readonly model: tfl.LayersModel;
  /** Every training image, normalised, `[N, H, W, 3]`. */
  readonly images: tf.Tensor4D;
  /** Class of each image, in [0, numClasses). */
  readonly labels: Int32Array;
  readonly numClasses: number;
  readonly objective: DemoObjective;
  readonly steps: number;
  readonly batchSize: number;
  /** Peak learning rate of SGD with momentum, reached after `warmupSteps` and decayed by a cosine to 0. */
  readonly learningRate: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly warmupSteps?: number;
  /** Random horizontal flips of the batch (the flip-sum evaluation then sees both sides). */
  readonly flip?: boolean;
  readonly seed: number;
  /** Steps between θ_y snapshots; 0 turns them off. */
  readonly thetaEvery?: number;
  /** Called after every step with the step's loss, for progress bars. */
  readonly onStep?: (step: number, loss: number) => void;
}

export interface TrainRunResult {
  /** Class centres (or softmax weights) `[C, D]` as rows, row-major. */
  readonly centers: Float32Array;
  readonly embeddingSize: number;
  /** The softmax baseline's bias [C]; absent for margin heads. */
  readonly bias?: Float32Array;
  readonly loss: Array<{ step: number; loss: number }>;
  readonly theta: ThetaSnapshot[];
  readonly durationMs: number;
}

/** Learning rate at `step`: linear warm-up, then a half cosine to zero at `steps`. */
export function learningRateAt(step: number, steps: number, peak: number, warmup: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
  return 0.5 * peak * (1 + Math.cos(Math.PI * progress));
}

/**
 * Trains `model` and a class-centre matrix with SGD + momentum (weight decay on every
 * trainable weight except the centres' norms, which the margin losses ignore anyway), the way
 * the demo compares margins: same data order, same initial weights, same schedule for each.
 *
 * @example
 * ```ts
 * const result = await trainRun({ model, images, labels, numClasses: 32, objective: { kind: 'margin', margin },
 *   steps: 100, batchSize: 64, learningRate: 0.1, seed: 1 });
 * ```
 */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const started = performance.now();
  const { model, images, labels, numClasses, objective, steps, batchSize } = options;
  const embeddingSize = model.outputs[0]?.shape[1];
  if (typeof embeddingSize !== 'number') throw new Error('the backbone must output [batch, embedding] features');
  const rng = createRng(options.seed);
  // Centres N(0, 0.01) as arcface_torch's Partial FC initialises them; a fixed seed per run
  // makes every margin start from the same head.
  // tf.variable shares the initial tensor's data and keeps its own reference: the initial
  // tensors are disposed right away.
  const centers = tf.tidy(() => tf.variable(tf.randomNormal([numClasses, embeddingSize], 0, 0.01, 'float32', options.seed), true) as tf.Variable<tf.Rank.R2>);
  const bias = objective.kind === 'softmax' ? tf.tidy(() => tf.variable(tf.zeros([numClasses]), true) as tf.Variable<tf.Rank.R1>) : undefined;
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.momentum(options.learningRate, options.momentum ?? 0.9);
  const weightDecay = options.weightDecay ?? 5e-4;
  const warmup = options.warmupSteps ?? Math.max(1, Math.round(steps / 10));
  const thetaEvery = options.thetaEvery ?? Math.max(1, Math.round(steps / 10));
  const n = labels.length;
  const probe = rng.fork('probe').shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, Math.min(n, 256));
  const loss: Array<{ step: number; loss: number }> = [];
  const theta: ThetaSnapshot[] = [];
  let order: number[] = [];
  const nextBatch = (): number[] => {
    const batch: number[] = [];
    while (batch.length < batchSize) {
      if (order.length === 0) order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      batch.push(order.pop() as number);
    }
    return batch;
  };
  const snapshot = async (step: number): Promise<void> => {
    const angles = tf.tidy(() => {
      const x = tf.gather(images, probe);
      const e = model.apply(x, { training: false }) as tf.Tensor2D;
      const w = tf.gather(centers, tf.tensor1d(probe.map((i) => labels[i] as number), 'int32'));
      const cos = tf.div(tf.sum(tf.mul(e, w), 1), tf.mul(tf.norm(e, 'euclidean', 1), tf.norm(w, 'euclidean', 1)));
      return tf.mul(tf.acos(tf.clipByValue(cos, -1, 1)), 180 / Math.PI);
    });
    const degrees = Array.from(await angles.data()).sort((a, b) => a - b);
    angles.dispose();
    const mean = degrees.reduce((s, v) => s + v, 0) / degrees.length;
    theta.push({ step, mean, q10: quantile(degrees, 0.1), q50: quantile(degrees, 0.5), q90: quantile(degrees, 0.9) });
  };

  try {
    for (let step = 0; step < steps; step += 1) {
      if (thetaEvery > 0 && step % thetaEvery === 0) await snapshot(step);
      const batch = nextBatch();
      const flips = options.flip === true ? batch.map(() => rng.next() < 0.5) : undefined;
      optimizer.setLearningRate(learningRateAt(step, steps, options.learningRate, warmup));
      const value = tf.tidy(() => {
        let x = tf.gather(images, batch) as tf.Tensor4D;
        if (flips !== undefined) {
          // Flip a random half of the batch along the width axis.
          const mask = tf.tensor4d(flips.map((f) => (f ? 1 : 0)), [batch.length, 1, 1, 1]);
          x = tf.add(tf.mul(tf.reverse(x, 2), mask), tf.mul(x, tf.sub(1, mask))) as tf.Tensor4D;
        }
        const y = tf.tensor1d(batch.map((i) => labels[i] as number), 'int32');
        const f = (): tf.Scalar => {
          const e = model.apply(x, { training: true }) as tf.Tensor2D;
          return objective.kind === 'margin'
            ? marginSoftmaxLoss(e, centers, y, objective.margin, { step, training: true, validate: false })
            : softmaxLoss(e, centers, y, bias, { validate: false });
        };
        const { value: l, grads } = tf.variableGrads(f, [...weights, centers, ...(bias === undefined ? [] : [bias])]);
        // Decoupled from the loss: g + λ·w on backbone weights, as SGD's weight_decay does.
        const decayed = Object.entries(grads).map(([name, g]) => {
          const v = weights.find((w) => w.name === name);
          return { name, tensor: v === undefined || weightDecay === 0 ? g : tf.add(g, tf.mul(v, weightDecay)) };
        });
        optimizer.applyGradients(decayed);
        return l;
      });
      const lossValue = (await value.data())[0] as number;
      value.dispose();
      if (!Number.isFinite(lossValue)) throw new Error(`training diverged at step ${step}: loss ${lossValue}`);
      loss.push({ step, loss: lossValue });
      options.onStep?.(step, lossValue);
    }
    if (thetaEvery > 0) await snapshot(steps);
    const centerData = new Float32Array((await centers.data()) as Float32Array);
    const biasData = bias === undefined ? undefined : new Float32Array((await bias.data()) as Float32Array);
    return { centers: centerData, embeddingSize, ...(biasData === undefined ? {} : { bias: biasData }), loss, theta, durationMs: performance.now() - started };
  } finally {
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() forgets the learning-rate scalar `c` that its
    // parent SGDOptimizer keeps; dispose it here so a run leaves no tensor behind.
    (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
    centers.dispose();
    bias?.dispose();
  }
}

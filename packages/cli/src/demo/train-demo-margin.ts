import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { hypersphereStatistics } from '@arcface/core';
import { createRng, type AugmentOptions } from '@arcface/data';
import type { MarginFn } from '@arcface/margins';

import { createTrainer } from '@arcface/trainer';
import type { AngleSnapshot } from '../plots/angle-trajectories';
import type { ThetaSnapshot } from '../plots/theta-distribution';
import type { ImageSet } from './demo-data';
import { imageSetDataset } from './image-set-dataset';
import { quantile } from './statistics';

export interface DemoTrainingOptions {
  /** The backbone; it is trained in place and stays alive (the caller disposes it). */
  readonly model: tfl.LayersModel;
  readonly train: ImageSet;
  readonly margin: MarginFn;
  readonly steps: number;
  readonly batchSize: number;
  /** Peak learning rate of SGD with momentum: linear warm-up over `warmupSteps`, then a half cosine to 0. */
  readonly learningRate: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  /** [steps / 10] */
  readonly warmupSteps?: number;
  /** Random horizontal flips with probability 0.5 [true]; ignored when `augment` is given. */
  readonly flip?: boolean;
  /** The training pipeline's augmentation [{ flip: 0.5 } unless `flip` is false]. */
  readonly augment?: AugmentOptions;
  readonly seed: number;
  /** Steps between θ_y snapshots; 0 turns them off [steps / 10]. */
  readonly thetaEvery?: number;
  /** Called after every step with the step's loss (0-based step), for progress bars. */
  readonly onStep?: (step: number, loss: number) => void;
}

export interface DemoTrainingResult {
  /** Class centres `[C, D]` as rows, row-major. */
  readonly centers: Float32Array;
  readonly embeddingSize: number;
  readonly loss: Array<{ step: number; loss: number }>;
  readonly theta: ThetaSnapshot[];
  /** The paper's Table 3 statistics on the probe images at every snapshot. */
  readonly angles: AngleSnapshot[];
  readonly durationMs: number;
}

/**
 * Trains `model` with one margin the way the demo compares margins, through `createTrainer`:
 * SGD momentum 0.9, weight decay 5e-4, warm-up + cosine, flip augmentation, a full classifier
 * initialised N(0, 0.01), the same seed (data order, centres, flips) for every margin. Gradient
 * clipping is off, as in the paper's small-scale runs. Between steps it records the θ_y
 * distribution of a fixed probe of training images against their class centres.
 *
 * @example
 * ```ts no-run
 * const run = await trainDemoMargin({ model, train: data.train, margin: createMargin('additive-angular', { s: 16 }),
 *   steps: 120, batchSize: 32, learningRate: 0.1, seed: 1 });
 * ```
 */
export async function trainDemoMargin(options: DemoTrainingOptions): Promise<DemoTrainingResult> {
  const started = performance.now();
  const { model, train, steps } = options;
  const warmupSteps = options.warmupSteps ?? Math.max(1, Math.round(steps / 10));
  const loss: Array<{ step: number; loss: number }> = [];
  const trainer = createTrainer({
    backbone: model,
    margin: options.margin,
    data: imageSetDataset(train),
    batchSize: options.batchSize,
    steps,
    seed: options.seed,
    optimizer: { name: 'sgd', momentum: options.momentum ?? 0.9, weightDecay: options.weightDecay ?? 5e-4 },
    schedule: warmupSteps < steps ? { type: 'cosine', lr: options.learningRate, warmupSteps, totalSteps: steps } : { type: 'constant', lr: options.learningRate, warmupSteps },
    ...(options.augment !== undefined ? { augment: options.augment } : options.flip === false ? {} : { augment: { flip: 0.5 } }),
    clipGradientNorm: null,
    logger: { warn: () => undefined, info: () => undefined },
    onEvent: (event) => {
      if (event.type !== 'step') return;
      loss.push({ step: event.step - 1, loss: event.loss });
      options.onStep?.(event.step - 1, event.loss);
    },
  });
  const n = train.labels.length;
  const probe = createRng(options.seed).fork('probe').shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, Math.min(n, 256));
  const probeLabels = tf.tensor1d(probe.map((i) => train.labels[i] as number), 'int32');
  const theta: ThetaSnapshot[] = [];
  const angles: AngleSnapshot[] = [];
  // θ_y of each probe image and the Table 3 statistics of the probe against the current centres;
  // read between steps only (the training path itself never waits on the host).
  const snapshot = async (step: number): Promise<void> => {
    const centers = trainer.head.centers();
    const e = tf.tidy(() => model.apply(tf.gather(train.images, probe), { training: false }) as tf.Tensor2D);
    const thetas = tf.tidy(() => {
      const w = tf.gather(centers, probeLabels);
      const cos = tf.div(tf.sum(tf.mul(e, w), 1), tf.mul(tf.norm(e, 'euclidean', 1), tf.norm(w, 'euclidean', 1)));
      return tf.mul(tf.acos(tf.clipByValue(cos, -1, 1)), 180 / Math.PI);
    });
    try {
      const degrees = Array.from(await thetas.data()).sort((a, b) => a - b);
      const mean = degrees.reduce((s, v) => s + v, 0) / degrees.length;
      theta.push({ step, mean, q10: quantile(degrees, 0.1), q50: quantile(degrees, 0.5), q90: quantile(degrees, 0.9) });
      const stats = await hypersphereStatistics(e, probeLabels, centers as tf.Tensor2D);
      angles.push({ step, wEc: stats.wEC, wInter: stats.wInter, intra: stats.intra, inter: stats.inter });
    } finally {
      tf.dispose([centers, e, thetas]);
    }
  };
  const thetaEvery = options.thetaEvery ?? Math.max(1, Math.round(steps / 10));
  try {
    if (thetaEvery > 0) {
      for (let at = 0; at < steps; at += thetaEvery) {
        await snapshot(at);
        await trainer.train({ untilStep: Math.min(steps, at + thetaEvery) });
      }
      await snapshot(steps);
    } else {
      await trainer.train();
    }
    const centers = trainer.head.centers();
    const data = new Float32Array(await centers.data());
    centers.dispose();
    return { centers: data, embeddingSize: trainer.head.embeddingSize, loss, theta, angles, durationMs: performance.now() - started };
  } finally {
    probeLabels.dispose();
    // The trainer's optimiser slots and head go; the model stays with the caller.
    trainer.dispose({ keepModel: true });
  }
}

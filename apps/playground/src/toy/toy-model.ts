import * as tf from '@tensorflow/tfjs-core';
import { marginSoftmaxLoss, type MarginFn } from '@arcface/margins';

/** Sizes of the toy network: flattened image → hidden → hidden → embedding. */
export interface ToyModelShape {
  readonly inputSize: number;
  readonly hidden: number;
  readonly dimension: number;
  readonly classes: number;
}

/**
 * The paper's toy network in plain tfjs-core variables: two ReLU layers and a linear 2-D or
 * 3-D embedding, trained with Adam together with the class centres `[C, D]` under
 * `marginSoftmaxLoss` of @arcface/margins. Not `mlp` of @arcface/backbones: its tfjs-layers
 * model (BatchNorm and PReLU per layer) took 1.5–1.8× as long per step on wasm at this size,
 * and tfjs-layers would add about 400 kB to the worker. Dense layers train on every backend,
 * WASM included. The same seed gives the same start, so the two sides of the page differ only
 * in their margin.
 */
export class ToyModel {
  private readonly weights: tf.Variable[];
  readonly centers: tf.Variable<tf.Rank.R2>;
  private readonly optimizer: tf.Optimizer;

  constructor(
    readonly shape: ToyModelShape,
    readonly margin: MarginFn,
    seed: number,
    learningRate = 0.01,
  ) {
    const { inputSize, hidden, dimension, classes } = shape;
    // He initialisation for the ReLU layers, so features start spread rather than collapsed.
    const dense = (rows: number, cols: number, s: number) =>
      tf.variable(tf.randomNormal([rows, cols], 0, Math.sqrt(2 / rows), 'float32', s));
    this.weights = [
      dense(inputSize, hidden, seed),
      tf.variable(tf.zeros([hidden])),
      dense(hidden, hidden, seed + 1),
      tf.variable(tf.zeros([hidden])),
      dense(hidden, dimension, seed + 2),
      tf.variable(tf.zeros([dimension])),
    ];
    this.centers = tf.variable(tf.randomNormal([classes, dimension], 0, 1, 'float32', seed + 3)) as tf.Variable<tf.Rank.R2>;
    this.optimizer = tf.train.adam(learningRate);
  }

  /** Embeddings `[N, D]` (not normalised) of flattened images `[N, inputSize]`. */
  embed(inputs: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [w1, b1, w2, b2, w3, b3] = this.weights as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      const h1 = tf.relu(tf.add(tf.matMul(inputs, w1 as tf.Tensor2D), b1));
      const h2 = tf.relu(tf.add(tf.matMul(h1 as tf.Tensor2D, w2 as tf.Tensor2D), b2));
      return tf.add(tf.matMul(h2 as tf.Tensor2D, w3 as tf.Tensor2D), b3) as tf.Tensor2D;
    });
  }

  /** One optimiser step on a batch; returns the loss before the step (a scalar tensor). */
  trainStep(inputs: tf.Tensor2D, labels: tf.Tensor1D, step: number): tf.Scalar {
    const loss = this.optimizer.minimize(
      // The labels are the toy's own, always in range: skip the input check, whose synchronous
      // read would stall a GPU backend every step.
      () => marginSoftmaxLoss(this.embed(inputs), this.centers, labels, this.margin, { step, training: true, validate: false }),
      true,
      [...this.weights, this.centers],
    );
    if (loss === null) throw new Error('the optimiser returned no loss');
    return loss;
  }

  dispose(): void {
    tf.dispose([...this.weights, this.centers]);
    this.optimizer.dispose();
  }
}

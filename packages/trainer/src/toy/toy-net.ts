import * as tf from '@tensorflow/tfjs-core';
import { marginSoftmaxLoss, softmaxLoss, type MarginFn } from '@arcface/margins';

/** The head a toy network is trained with: plain softmax (W·x + b) or a margin on cosines. */
export type ToyHead = { readonly kind: 'softmax' } | { readonly kind: 'margin'; readonly margin: MarginFn };

/** Sizes of the toy network: flattened image → hidden → hidden → 2-D feature. */
export interface ToyNetShape {
  readonly inputSize: number;
  readonly hidden: number;
  readonly dimension: number;
  readonly classes: number;
}

/**
 * The toy experiment's network: two ReLU layers and a linear 2-D feature, in plain tfjs-core
 * variables, trained with Adam together with the class weights `[C, D]` (and, for softmax, a
 * bias). No BatchNorm: with 2-D features, a normalisation layer before the output would tie
 * the feature norms of the batch together. Training needs the gradient functions of relu,
 * matMul and add registered (tfjs-layers or @tensorflow/tfjs loaded, as the CLI does); the
 * heads' own backward passes are closed-form. The same seed gives the same start.
 *
 * @example
 * ```ts
 * const net = new ToyNet({ inputSize: 768, hidden: 64, dimension: 2, classes: 8 }, { kind: 'softmax' }, 1, 0.01);
 * tf.dispose(net.trainStep(x, y, 0));
 * net.dispose();
 * ```
 */
export class ToyNet {
  private readonly weights: tf.Variable[];
  /** Class weights (softmax) or centres (margin), one row per class. */
  readonly centers: tf.Variable<tf.Rank.R2>;
  /** The softmax head's bias; absent for a margin head. */
  readonly bias: tf.Variable<tf.Rank.R1> | undefined;
  private readonly optimizer: tf.Optimizer;

  constructor(
    readonly shape: ToyNetShape,
    readonly head: ToyHead,
    seed: number,
    readonly learningRate: number,
  ) {
    const { inputSize, hidden, dimension, classes } = shape;
    // He initialisation for the ReLU layers, so the features start spread rather than collapsed.
    const dense = (rows: number, cols: number, s: number): tf.Variable =>
      tf.tidy(() => tf.variable(tf.randomNormal([rows, cols], 0, Math.sqrt(2 / rows), 'float32', s)));
    const zeros = (n: number): tf.Variable => tf.tidy(() => tf.variable(tf.zeros([n])));
    this.weights = [dense(inputSize, hidden, seed), zeros(hidden), dense(hidden, hidden, seed + 1), zeros(hidden), dense(hidden, dimension, seed + 2), zeros(dimension)];
    this.centers = tf.tidy(() => tf.variable(tf.randomNormal([classes, dimension], 0, 1, 'float32', seed + 3))) as tf.Variable<tf.Rank.R2>;
    this.bias = head.kind === 'softmax' ? (zeros(classes) as tf.Variable<tf.Rank.R1>) : undefined;
    this.optimizer = tf.train.adam(learningRate);
  }

  /** Features `[N, D]` (not normalised) of flattened images `[N, inputSize]`. */
  /** The three dense layers' kernels and biases, in order [w1, b1, w2, b2, w3, b3]. */
  get layers(): readonly tf.Variable[] {
    return this.weights;
  }

  embed(inputs: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [w1, b1, w2, b2, w3, b3] = this.weights as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      const h1 = tf.relu(tf.add(tf.matMul(inputs, w1 as tf.Tensor2D), b1)) as tf.Tensor2D;
      const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as tf.Tensor2D), b2)) as tf.Tensor2D;
      return tf.add(tf.matMul(h2, w3 as tf.Tensor2D), b3) as tf.Tensor2D;
    });
  }

  /** One Adam step on a batch; returns the loss before the step (a scalar the caller disposes). */
  trainStep(inputs: tf.Tensor2D, labels: tf.Tensor1D, step: number): tf.Scalar {
    const head = this.head;
    const variables = [...this.weights, this.centers, ...(this.bias === undefined ? [] : [this.bias])];
    const loss = this.optimizer.minimize(
      () => {
        const features = this.embed(inputs);
        // The labels are the toy's own, always in range: skip the synchronous input check.
        return head.kind === 'softmax'
          ? softmaxLoss(features, this.centers, labels, this.bias, { validate: false })
          : marginSoftmaxLoss(features, this.centers, labels, head.margin, { step, training: true, validate: false });
      },
      true,
      variables,
    );
    if (loss === null) throw new Error('the optimiser returned no loss');
    return loss;
  }

  dispose(): void {
    tf.dispose([...this.weights, this.centers, ...(this.bias === undefined ? [] : [this.bias])]);
    this.optimizer.dispose();
  }
}

import type * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '../optim/optimizer';

/** Settings of the classification head (class centres as rows `[C, D]`, as insightface). */
export type HeadConfig =
  | { readonly type: 'full' }
  /**
   * Partial FC (An et al.; arcface_torch `partial_fc_v2.py`): each step uses every positive
   * centre plus a random share of the negatives, `sampleRate·C` centres in all.
   */
  | { readonly type: 'partial-fc'; readonly sampleRate: number };

/** What one training step sees of the head. */
export interface HeadStep {
  /** The centres this step trains, `[S, D]`, as a variable to differentiate against. */
  readonly centers: tf.Variable;
  /** Class ids of the rows of {@link centers}, ascending (all classes for the full classifier). */
  readonly classes?: Int32Array;
  /** The batch's labels remapped into rows of {@link centers}, int32 `[B]`. */
  readonly labels: tf.Tensor1D;
  /**
   * Applies the optimiser to the step's centres with their gradient. Asynchronous: a head that
   * keeps its centres on the host reads the update back with `await data()` (`dataSync` fails
   * on WebGPU in Node and stalls the GPU elsewhere).
   */
  apply(grad: tf.Tensor, optimizer: Optimizer, lr: number, t: number): Promise<void>;
  /** Frees the step's tensors (for Partial FC, the gathered rows). */
  dispose(): void;
}

/** Host copies of the head's state, for checkpoints. */
export interface HeadState {
  readonly centers: Float32Array;
  readonly slots: readonly Float32Array[];
}

/** A classification head: owns the class centres `[C, D]` and their optimiser slots. */
export interface ClassificationHead {
  readonly config: HeadConfig;
  readonly numClasses: number;
  readonly embeddingSize: number;
  /** Chooses this step's centres for the batch's labels; `step` seeds any sampling. */
  prepare(labels: Int32Array, step: number): HeadStep;
  /**
   * For heads that train one centre matrix every step (the full classifier): the variable and
   * its optimiser slots (created on first call), so that a compiled step can own their update.
   * Heads that sample classes (Partial FC) leave it out and train eagerly.
   */
  fixedCenters?(optimizer: Optimizer): { readonly centers: tf.Variable; readonly slots: readonly tf.Variable[] };
  /** All centres as a new tensor `[C, D]` (evaluation, Table 3 statistics); caller disposes. */
  centers(): tf.Tensor2D;
  /** Reads the state back to the host (asynchronously: `dataSync` fails on WebGPU in Node). */
  getState(): Promise<HeadState>;
  setState(state: HeadState): void;
  dispose(): void;
}

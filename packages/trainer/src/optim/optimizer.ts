import type * as tf from '@tensorflow/tfjs-core';

/**
 * An optimiser as a pure update rule over plain tensors, so that its state (the "slots", e.g.
 * momentum) lives wherever the trainer keeps parameters — tfjs variables for dense weights,
 * rows of a host array for Partial FC centres — and can be checkpointed exactly.
 */
export interface Optimizer {
  readonly name: string;
  /** The options with defaults filled in (JSON). */
  readonly options: Readonly<Record<string, number>>;
  /** Names of the per-parameter state tensors, each shaped like the parameter. */
  readonly slots: readonly string[];
  /**
   * One update: given the parameter, its gradient, its slots (same order as {@link slots}), the
   * learning rate and the 1-based update count t, returns the new parameter and new slots.
   * Runs inside the caller's `tf.tidy`.
   */
  update(param: tf.Tensor, grad: tf.Tensor, slots: readonly tf.Tensor[], lr: number, t: number): { param: tf.Tensor; slots: tf.Tensor[] };
}

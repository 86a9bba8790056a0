import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a run changes as it goes, shared by the step, the checkpoints and the evaluation: the
 * number of updates done, the backbone's optimiser slots (one list per trainable weight, created
 * at the first update), and the newest checkpoint.
 */
export interface TrainingState {
  step: number;
  slots: tf.Variable[][];
  lastCheckpoint: string | undefined;
}

export function initialTrainingState(): TrainingState {
  return { step: 0, slots: [], lastCheckpoint: undefined };
}

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkpointedModel } from '@arcface/backbones';
import { TrainerConfigError } from '../errors';

/** How the backbone's training forward pass keeps activations (see `TrainerConfig.gradientCheckpoints`). */
export type GradientCheckpoints = 'auto' | 'none' | 'blocks' | number;

/**
 * A batch with at least this many input pixels (16 face crops of 112×112) is checkpointed
 * under 'auto' on wasm: below it a step fits the 4 GB wasm heap anyway and recomputation
 * would only cost time (15–25% per step).
 */
const AUTO_PIXELS = 16 * 112 * 112;

export function checkGradientCheckpoints(value: GradientCheckpoints): void {
  if (value === 'auto' || value === 'none' || value === 'blocks') return;
  if (!Number.isInteger(value) || value < 1) {
    throw new TrainerConfigError('ERR_TRAINER_CONFIG', `gradientCheckpoints must be 'auto', 'none', 'blocks' or a segment count ≥ 1, got ${String(value)}`);
  }
}

/** The forward pass a training step uses: the model itself, or its checkpointed form. */
export interface BackboneForward {
  apply(x: tf.Tensor, options: { training: boolean }): tf.Tensor;
  /** Segments when checkpointed. */
  readonly segments?: number;
}

/**
 * Chooses the training forward pass for the active backend. 'auto' checkpoints on wasm (whose
 * 32-bit heap cannot hold a full-size step of the face backbones: MobileFaceNet at 112×112,
 * batch 64, needs ~7.8 GB plain and ~1.8 GB checkpointed) when the batch is large.
 */
export function backboneForward(model: tfl.LayersModel, setting: GradientCheckpoints, batchPixels: number): BackboneForward {
  const on = setting === 'auto' ? tf.getBackend() === 'wasm' && batchPixels >= AUTO_PIXELS : setting !== 'none';
  if (!on) return model as unknown as BackboneForward;
  const checkpointed = checkpointedModel(model, setting === 'auto' ? {} : { segments: setting as 'blocks' | number });
  return { apply: (x, options) => checkpointed.apply(x, options), segments: checkpointed.segments };
}

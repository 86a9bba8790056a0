import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compileInference, type InferencePlan } from '@arcface/backbones';
import { InvalidArgumentError, flipSumEmbeddings, l2Normalize } from '@arcface/core';

/**
 * Embeddings of images `[B, h, w, c]` in inference mode (BN uses its moving statistics).
 * With `flip` (insightface's "Accuracy-Flip"), the embedding of the mirrored image is added
 * before L2 normalisation; without it the rows are just normalised.
 *
 * @example
 * const e = embedImages(model, images, { flip: true }); // [B, D], unit rows
 */
export function embedImages(model: tfl.LayersModel, images: tf.Tensor4D, options: EmbedOptions = {}): tf.Tensor2D {
  const forward = options.forward ?? ((x: tf.Tensor4D) => model.apply(x, { training: false }) as tf.Tensor);
  return tf.tidy(() => {
    const input = adaptChannels(model, images);
    const e = forward(input) as tf.Tensor2D;
    if (options.flip === false) return l2Normalize(e) as tf.Tensor2D;
    const mirrored = forward(tf.reverse(input, 2)) as tf.Tensor2D;
    return flipSumEmbeddings(e, mirrored);
  });
}

export interface EmbedOptions {
  /** Add the mirrored image's embedding before normalising (default true). */
  readonly flip?: boolean;
  /**
   * The model's inference pass, e.g. a `compileInference` plan's `predict` (batch norm folded);
   * default `model.apply(x, { training: false })`.
   */
  readonly forward?: (images: tf.Tensor4D) => tf.Tensor;
}

/**
 * `compileInference(model)` for an evaluation pass over many batches, or undefined when the
 * model's graph is one the plan refuses (several inputs, nested models): the caller then
 * embeds through the model itself. Free the plan after the pass.
 */
export function evaluationPlan(model: tfl.LayersModel): InferencePlan | undefined {
  try {
    return compileInference(model);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return undefined;
    throw error;
  }
}

/**
 * Matches the data's RGB to a backbone's channel count: grey models (1 channel) get the mean of
 * R, G and B; 3-channel models get the images as they are.
 */
export function adaptChannels(model: tfl.LayersModel, images: tf.Tensor4D): tf.Tensor4D {
  const channels = model.inputs[0]?.shape[3];
  if (channels === 1 && images.shape[3] === 3) return tf.mean(images, 3, true) as tf.Tensor4D;
  return images;
}

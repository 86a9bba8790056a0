import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { flipSumEmbeddings, l2Normalize } from '@arcface/core';

/**
 * Embeddings of images `[B, h, w, c]` in inference mode (BN uses its moving statistics).
 * With `flip` (insightface's "Accuracy-Flip"), the embedding of the mirrored image is added
 * before L2 normalisation; without it the rows are just normalised.
 *
 * @example
 * const e = embedImages(model, images, { flip: true }); // [B, D], unit rows
 */
export function embedImages(model: tfl.LayersModel, images: tf.Tensor4D, options: { flip?: boolean } = {}): tf.Tensor2D {
  return tf.tidy(() => {
    const input = adaptChannels(model, images);
    const e = model.apply(input, { training: false }) as tf.Tensor2D;
    if (options.flip === false) return l2Normalize(e) as tf.Tensor2D;
    const mirrored = model.apply(tf.reverse(input, 2), { training: false }) as tf.Tensor2D;
    return flipSumEmbeddings(e, mirrored);
  });
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

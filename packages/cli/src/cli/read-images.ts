import { readFile } from 'node:fs/promises';

import * as tf from '@tensorflow/tfjs-core';
import { imagesToTensor, type RgbImage } from '@arcface/data';
import { decodeImage } from '@arcface/data/node';

import { UnreadableImageError } from '../demo/demo-errors';

/** Decodes one image's bytes to the model's input size, naming the file when it fails. */
export async function decodeForModel(bytes: Uint8Array, name: string, inputShape: readonly [number, number, number]): Promise<RgbImage> {
  try {
    return await decodeImage(bytes, { size: [inputShape[0], inputShape[1]] });
  } catch (cause) {
    throw new UnreadableImageError(name, { cause });
  }
}

/** Reads image files into a normalised tensor `[N, H, W, 3]` at the model's input size. */
export async function readImageFiles(paths: readonly string[], inputShape: readonly [number, number, number]): Promise<tf.Tensor4D> {
  const images: RgbImage[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (cause) {
      throw new UnreadableImageError(path, { cause });
    }
    images.push(await decodeForModel(bytes, path, inputShape));
  }
  return imagesToTensor(images);
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type * as tfl from '@tensorflow/tfjs-layers';
import { loadBackbone, saveBackbone } from '@arcface/backbones';
import { fileSystemHandler } from '@arcface/backbones/node';
import type { JsonValue } from '@arcface/margins';

import { ModelFolderError } from './cli-errors';

/** `arcface-model.json`: what a model folder holds besides the tfjs model. */
export interface ModelMetadata {
  readonly format: 'arcface-model';
  readonly version: 1;
  readonly backbone: { readonly name: string; readonly options: { readonly [key: string]: JsonValue | undefined } };
  /** Input `[height, width, channels]` the images are resized to. */
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  readonly margin: { readonly name: string; readonly options: { readonly [key: string]: JsonValue | undefined } };
  readonly classes: number;
  readonly steps: number;
  readonly data: string;
  /**
   * Set by `arcface import` (and kept by `train --init`): the file the weights came from, its
   * format, PyTorch's parameter count and the normalisation the model expects of RGB 0…255
   * pixels. A normalisation other than (x − 127.5) / 127.5 also lives inside the model, as its
   * `input_preprocessing` layer, so `embed`, `eval` and `train` apply it without reading this.
   */
  readonly source?: {
    readonly file: string;
    readonly format: 'onnx' | 'pth';
    readonly parameters: number;
    readonly preprocessing: { readonly mean: number; readonly std: number };
    readonly opset?: number;
  };
  /** `train --init`: the model folder training started from. */
  readonly initialisedFrom?: string;
  /** The training augmentation, as `--augment` gave it (absent in folders written before it was recorded). */
  readonly augment?: JsonValue;
}

export const METADATA_FILE = 'arcface-model.json';
const MODEL_SUBDIR = 'model';

/** Writes `<dir>/model/` (tfjs `model.json` + weights) and `<dir>/arcface-model.json`. */
export async function saveModelFolder(dir: string, model: tfl.LayersModel, metadata: ModelMetadata): Promise<void> {
  await mkdir(join(dir, MODEL_SUBDIR), { recursive: true });
  await saveBackbone(model, fileSystemHandler(join(dir, MODEL_SUBDIR)));
  await writeFile(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** Loads a folder written by {@link saveModelFolder} (by `arcface train`). */
export async function loadModelFolder(dir: string): Promise<{ model: tfl.LayersModel; metadata: ModelMetadata }> {
  let metadata: ModelMetadata;
  try {
    metadata = JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8')) as ModelMetadata;
  } catch (cause) {
    throw new ModelFolderError(`'${dir}' is not a model folder (no readable ${METADATA_FILE}); pass the --out folder of 'arcface train'`, { cause });
  }
  if (metadata.format !== 'arcface-model') {
    throw new ModelFolderError(`'${join(dir, METADATA_FILE)}' is not an arcface model description (format ${JSON.stringify(metadata.format)})`);
  }
  try {
    const model = await loadBackbone(fileSystemHandler(join(dir, MODEL_SUBDIR)));
    return { model, metadata };
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ModelFolderError(`cannot load the model in '${join(dir, MODEL_SUBDIR)}' (${detail}); train it again with 'arcface train --out ${dir}'`, { cause });
  }
}

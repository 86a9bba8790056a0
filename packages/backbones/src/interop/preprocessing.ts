import * as tfl from '@tensorflow/tfjs-layers';

/**
 * What a model expects of an RGB image with bytes 0…255: (x − mean) / std per value. arcface_torch
 * trains on (x − 127.5) / 127.5, the input every @arcface data pipeline produces; insightface's
 * MXNet-converted ONNX files instead take raw bytes and normalise inside the graph (`Sub`/`Mul`
 * nodes, e.g. (x − 127.5) · 0.0078125).
 */
export interface InputPreprocessing {
  readonly mean: number;
  readonly std: number;
}

/** arcface_torch's normalisation, the one our pipelines apply: (x − 127.5) / 127.5. */
export const ARCFACE_PREPROCESSING: InputPreprocessing = { mean: 127.5, std: 127.5 };

/** Name of the `Rescaling` layer a model gets when it expects another normalisation. */
export const PREPROCESSING_LAYER = 'input_preprocessing';

export function isArcfacePreprocessing(p: InputPreprocessing): boolean {
  return Math.abs(p.mean - ARCFACE_PREPROCESSING.mean) < 1e-6 && Math.abs(p.std / ARCFACE_PREPROCESSING.std - 1) < 1e-7;
}

/**
 * The model's first layer when it expects a normalisation other than arcface_torch's: the input
 * stays what our pipelines give, y = (x − 127.5) / 127.5, and this `Rescaling` turns it into
 * (x − mean) / std = y · 127.5/std + (127.5 − mean)/std before any padding, as the `Sub`/`Mul`
 * nodes did. So `embed`, `eval` and `train` apply it without knowing, and it saves in `model.json`.
 */
export function preprocessingLayer(input: tfl.SymbolicTensor, p: InputPreprocessing | undefined): tfl.SymbolicTensor {
  if (p === undefined || isArcfacePreprocessing(p)) return input;
  const scale = ARCFACE_PREPROCESSING.std / p.std;
  const offset = (ARCFACE_PREPROCESSING.mean - p.mean) / p.std;
  return tfl.layers.rescaling({ scale, offset, name: PREPROCESSING_LAYER }).apply(input) as tfl.SymbolicTensor;
}

/** The normalisation a model expects of 0…255 RGB input: its `Rescaling` layer's, or arcface_torch's. */
export function inputPreprocessing(model: tfl.LayersModel): InputPreprocessing {
  const layer = model.layers.find((l) => l.name === PREPROCESSING_LAYER && l.getClassName() === 'Rescaling');
  if (layer === undefined) return ARCFACE_PREPROCESSING;
  const { scale, offset } = layer.getConfig() as { scale: number; offset: number };
  const std = ARCFACE_PREPROCESSING.std / scale;
  return { mean: ARCFACE_PREPROCESSING.mean - offset * std, std };
}

import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelFormatError } from '../errors';
import { architectureName, architectureOptions, buildArchitecture, type Architecture } from './architecture';
import { onnxArchitecture, onnxWeights, readOnnxGraph } from './onnx-import';
import { decodeOnnx } from './onnx-model';
import { readTorchStateDict } from './pth';
import type { InputPreprocessing } from './preprocessing';
import { ARCFACE_PREPROCESSING } from './preprocessing';
import { stateDictArchitecture, stateDictWeights, stripPrefixes } from './state-dict';
import { setTorchWeights } from './torch-weights';

export interface ImportOptions {
  /** Shown in errors and recorded in the model; a path or file name. Defaults to 'model'. */
  readonly file?: string;
  /**
   * The architecture, when the file does not say or to check that it is this one: `iresnet18`
   * … `iresnet200` (or `r50`), `mobilefacenet` (`mbf`), `mbf_large`.
   */
  readonly backbone?: string;
  /** Defaults to what the bytes look like: a zip or pickle is `.pth`, anything else ONNX. */
  readonly format?: 'onnx' | 'pth';
}

/** An insightface model as one of our backbones, and what was recognised. */
export interface ImportedModel {
  readonly model: tfl.LayersModel;
  readonly format: 'onnx' | 'pth';
  readonly architecture: Architecture;
  /** Our backbone name (`iresnet50`, `mobilefacenet`) and the options that rebuild it. */
  readonly backbone: string;
  readonly backboneOptions: Record<string, unknown>;
  /** The normalisation the model expects of 0…255 RGB pixels; non-default ones are inside the model. */
  readonly preprocessing: InputPreprocessing;
  /** `sum(p.numel() for p in model.parameters())` of the PyTorch model. */
  readonly parameters: number;
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  /** ONNX only: the file's opset and producer. */
  readonly opset?: number;
  readonly producer?: string;
}

/** Metadata key under which an imported model records where it came from (in `model.json`). */
export const IMPORT_METADATA_KEY = 'arcfaceImport';

/**
 * Imports an insightface model — an arcface_torch `.pth` state_dict or an ONNX export such as
 * `w600k_r50.onnx` / `w600k_mbf.onnx` — as our iResNet or MobileFaceNet with its weights, so
 * its embeddings equal PyTorch's / onnxruntime's for the same images. The bytes are the whole
 * file (read it yourself, or use `importModelFile` from `@arcface/backbones/node`).
 *
 * Errors are typed: {@link ModelFormatError} (truncated, corrupt, external data),
 * `UnsupportedModelError` (an ONNX node we do not translate, named), `ArchitectureMismatchError`
 * (weights that do not fit), and @arcface/data's `UnsafePickleError` (a pickle that would run code).
 *
 * @example
 * ```ts
 * const { model, backbone, preprocessing } = importModel(new Uint8Array(await (await fetch(url)).arrayBuffer()), { file: 'w600k_r50.onnx' });
 * ```
 */
export function importModel(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  const file = options.file ?? 'model';
  if (bytes.length === 0) throw new ModelFormatError(file, 'the file is empty');
  const looksPth = bytes[0] === 0x80 || (bytes[0] === 0x50 && bytes[1] === 0x4b) || /\.(pth|pt|ckpt)$/i.test(file);
  const format = options.format ?? (looksPth ? 'pth' : 'onnx');
  let result: { model: tfl.LayersModel; architecture: Architecture; preprocessing: InputPreprocessing; opset?: number; producer?: string };
  if (format === 'pth') {
    const state = stripPrefixes(readTorchStateDict(bytes, file));
    const architecture = stateDictArchitecture(state, file, options.backbone);
    const model = buildArchitecture(architecture);
    try {
      const { layout, weights } = stateDictWeights(state, architecture, file);
      setTorchWeights(model, layout, weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    result = { model, architecture, preprocessing: ARCFACE_PREPROCESSING };
  } else {
    const onnx = decodeOnnx(bytes, file);
    const reading = readOnnxGraph(onnx, file);
    const architecture = onnxArchitecture(reading, file, options.backbone);
    const model = buildArchitecture(architecture, reading.preprocessing);
    try {
      const { layout, weights } = onnxWeights(reading, architecture, model, file);
      setTorchWeights(model, layout, weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    result = { model, architecture, preprocessing: reading.preprocessing, opset: onnx.opset, producer: onnx.producer };
  }
  const { model, architecture } = result;
  const imported: ImportedModel = {
    ...result,
    format,
    backbone: architectureName(architecture),
    backboneOptions: architectureOptions(architecture),
    parameters: torchParameterCount(model),
    inputShape: architecture.inputShape,
    embeddingSize: architecture.embeddingSize,
  };
  model.setUserDefinedMetadata({
    [IMPORT_METADATA_KEY]: {
      file: file.split(/[\\/]/).pop(),
      format,
      backbone: imported.backbone,
      backboneOptions: imported.backboneOptions,
      preprocessing: { ...imported.preprocessing, channels: 'RGB', range: '0-255' },
      ...(imported.opset !== undefined ? { opset: imported.opset } : {}),
    },
  });
  return imported;
}

/** PyTorch's parameter count: every weight except batch-norm running statistics (buffers there). */
export function torchParameterCount(model: tfl.LayersModel): number {
  let total = 0;
  for (const w of model.weights) {
    if (/moving_(mean|variance)$/.test(w.originalName)) continue;
    total += w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  return total;
}

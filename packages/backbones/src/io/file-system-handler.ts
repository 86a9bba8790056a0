import * as tf from '@tensorflow/tfjs-core';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelIoError } from '../errors';

/** File names inside a saved model folder, as tfjs-node writes them. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IOHandler that saves to and loads from a folder (`model.json` + `weights.bin`), the
 * layout of tfjs-node's `file://` handler, written with `fs` because tfjs-node cannot be
 * installed offline. Each file is written to a temporary name, fsynced and renamed, and
 * `weights.bin` goes first, so a crash never leaves a `model.json` that points at missing weights.
 *
 * @example
 * ```ts
 * import { fileSystemHandler } from '@arcface/backbones/node';
 * await model.save(fileSystemHandler('/tmp/face-model'));
 * const again = await tf.loadLayersModel(fileSystemHandler('file:///tmp/face-model'));
 * ```
 */
export function fileSystemHandler(location: string): tf.io.IOHandler {
  const dir = location.startsWith('file://') ? fileURLToPath(location) : resolve(location);
  const handler: tf.io.IOHandler = {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ModelIoError(`saving to '${dir}': binary topologies are not supported, only JSON`);
      }
      try {
        mkdirSync(dir, { recursive: true });
        const weights = artifacts.weightData === undefined ? new Uint8Array(0) : concatWeightData(artifacts.weightData);
        writeAtomically(join(dir, WEIGHTS_BIN), weights);
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology as object,
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_core}`,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
          ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
          ...(artifacts.signature ? { signature: artifacts.signature } : {}),
          ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        };
        writeAtomically(join(dir, MODEL_JSON), new TextEncoder().encode(JSON.stringify(modelJson)));
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
            modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
            weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
            weightDataBytes: weights.byteLength,
          },
        };
      } catch (error) {
        if (error instanceof ModelIoError) throw error;
        throw new ModelIoError(`could not save the model to '${dir}': ${(error as Error).message}`, { cause: error });
      }
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readModelJson(join(dir, MODEL_JSON));
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        const files = group.paths.map((path) => resolve(dir, path));
        const bytes = files.map((file) => readWeightsFile(file));
        const expected = group.weights.reduce((sum, spec) => sum + byteSize(spec, join(dir, MODEL_JSON)), 0);
        const actual = bytes.reduce((sum, b) => sum + b.byteLength, 0);
        if (actual !== expected) {
          const named = files.map((f) => `'${f}'`).join(', ');
          throw new ModelIoError(
            `${named} ${files.length === 1 ? 'holds' : 'hold'} ${actual} bytes but '${join(dir, MODEL_JSON)}' lists ${expected} bytes of weights: ` +
              `the weights are ${actual < expected ? 'truncated' : 'not the ones model.json describes'}; copy or save the model again`,
          );
        }
        parts.push(...bytes);
      }
      const weightData = concatWeightData(parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer));
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
        ...(json.format !== undefined ? { format: json.format } : {}),
        ...(json.generatedBy !== undefined ? { generatedBy: json.generatedBy } : {}),
        ...(json.convertedBy != null ? { convertedBy: json.convertedBy } : {}),
        ...(json.userDefinedMetadata !== undefined ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
        ...(json.signature !== undefined ? { signature: json.signature } : {}),
        ...(json.trainingConfig !== undefined ? { trainingConfig: json.trainingConfig } : {}),
      };
    },
  };
  // The folder, for loaders that name the model in their errors.
  return Object.assign(handler, { location: dir });
}

/** A model.json as far as loading needs it, checked so a damaged file fails here and names itself. */
interface CheckedModelJson extends tf.io.ModelJSON {
  weightsManifest: tf.io.WeightsManifestConfig;
}

function readModelJson(path: string): CheckedModelJson {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelIoError(
      code === 'ENOENT'
        ? `'${path}' is missing: '${dirname(path)}' holds no saved model; pass the folder a model was saved to`
        : `could not read '${path}': ${(error as Error).message}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelIoError(`'${path}' is not valid JSON (${(error as Error).message}): the file is damaged or truncated; save the model again`, { cause: error });
  }
  const damaged = (what: string) => new ModelIoError(`'${path}' ${what}: it is damaged or not a tfjs model.json; save the model again`);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw damaged('does not hold a JSON object');
  const model = json as Partial<tf.io.ModelJSON>;
  if (model.modelTopology === undefined || model.modelTopology === null) throw damaged('has no modelTopology');
  const manifest = model.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw damaged('has a weightsManifest that is not a list');
  for (const group of manifest as unknown[]) {
    const g = group as Partial<tf.io.WeightsManifestConfig[number]> | null;
    if (g === null || typeof g !== 'object' || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw damaged('has a weights group without paths and weights');
    for (const p of g.paths) {
      if (typeof p !== 'string' || p.length === 0) throw damaged(`has a weights path ${JSON.stringify(p)} that is not a file name`);
      const inside = resolve(dirname(path), p);
      if (!inside.startsWith(dirname(path) + sep)) throw damaged(`names a weights file outside its folder (${JSON.stringify(p)})`);
    }
    for (const spec of g.weights as unknown[]) {
      const w = spec as Partial<tf.io.WeightsManifestEntry> | null;
      const shapeOk = w !== null && typeof w === 'object' && Array.isArray(w.shape) && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
      if (!shapeOk || typeof w.name !== 'string' || typeof w.dtype !== 'string') throw damaged(`has a weight entry ${JSON.stringify(spec).slice(0, 80)} without name, dtype and shape`);
    }
  }
  return { ...model, weightsManifest: manifest } as CheckedModelJson;
}

function readWeightsFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelIoError(
      code === 'ENOENT'
        ? `the weights file '${file}' is missing: copy it beside model.json, or save the model again`
        : `could not read the weights file '${file}': ${(error as Error).message}`,
      { cause: error },
    );
  }
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

function byteSize(spec: tf.io.WeightsManifestEntry, modelJson: string): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_DTYPE[dtype];
  if (bytes === undefined) throw new ModelIoError(`'${modelJson}': weight '${spec.name}' has an unsupported dtype '${dtype}'`);
  if (!Number.isSafeInteger(count * bytes)) throw new ModelIoError(`'${modelJson}': weight '${spec.name}' has an impossible shape ${JSON.stringify(spec.shape)}`);
  return count * bytes;
}

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}

/** temp file → write → fsync → rename → fsync the folder: the POSIX recipe for an atomic replace. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    // writeSync may write less than asked; loop until every byte is down.
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  try {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some file systems refuse fsync on a folder; the rename itself is still atomic there.
  }
}

/**
 * Registers `file://` with tfjs' IO router, so `model.save('file:///tmp/m')`,
 * `saveBackbone(model, 'file://…')` and `tf.loadLayersModel('file://…')` work in Node.
 * Call it once at start-up; nothing registers at import time. Returns nothing; calling it
 * again is a no-op.
 */
export function registerFileSystemRouter(): void {
  const global = globalThis as { [ROUTER_KEY]?: boolean };
  if (global[ROUTER_KEY] === true) return;
  const router = (url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    return (typeof first === 'string' && first.startsWith('file://') ? fileSystemHandler(first) : null) as tf.io.IOHandler;
  };
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
  global[ROUTER_KEY] = true;
}

const ROUTER_KEY = Symbol.for('@arcface/backbones/file-router');

import * as tf from '@tensorflow/tfjs-core';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  return {
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
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new ModelIoError(`could not read '${join(dir, MODEL_JSON)}': ${(error as Error).message}`, { cause: error });
      }
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const path of group.paths) {
          const file = resolve(dir, path);
          try {
            parts.push(readFileSync(file));
          } catch (error) {
            throw new ModelIoError(`could not read the weights file '${file}': ${(error as Error).message}`, { cause: error });
          }
        }
      }
      const expected = weightSpecs.reduce((sum, spec) => sum + byteSize(spec), 0);
      const weightData = concatWeightData(parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer));
      if (weightData.byteLength !== expected) {
        throw new ModelIoError(`'${dir}': the weights hold ${weightData.byteLength} bytes, the manifest expects ${expected}`);
      }
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
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

function byteSize(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_DTYPE[dtype];
  if (bytes === undefined) throw new ModelIoError(`weight '${spec.name}' has an unsupported dtype '${dtype}'`);
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

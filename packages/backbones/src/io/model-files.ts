import { readFile, writeFile } from 'node:fs/promises';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelFormatError } from '../errors';
import { importModel, type ImportedModel, type ImportOptions } from '../interop/import-model';
import { exportOnnx, type OnnxExportOptions } from '../interop/onnx-export';

/**
 * Reads an insightface model file (`.onnx`, `.pth`) and imports it with {@link importModel}.
 *
 * @example
 * ```ts
 * const { model, backbone, parameters } = await importModelFile('w600k_r50.onnx');
 * ```
 */
export async function importModelFile(path: string, options: Omit<ImportOptions, 'file'> = {}): Promise<ImportedModel> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new ModelFormatError(path, `cannot read the file (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
  return importModel(bytes, { ...options, file: path });
}

/** Writes a backbone as an ONNX file (see {@link exportOnnx}). */
export async function exportOnnxFile(model: tfl.LayersModel, path: string, options: OnnxExportOptions = {}): Promise<void> {
  await writeFile(path, await exportOnnx(model, options));
}

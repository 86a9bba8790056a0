import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

import type * as tfl from '@tensorflow/tfjs-layers';
import type { RgbImage } from '@arcface/data';
import { imagesToTensor } from '@arcface/data';

import { checkFaceFolder } from '../demo/demo-data';
import { embedImages } from '../demo/embed-images';
import { normalizeRows } from '../demo/statistics';
import { OptionValueError } from './cli-errors';
import { METADATA_FILE, type ModelMetadata } from './model-folder';
import { decodeForModel } from './read-images';

/**
 * The model's fingerprint a gallery records: SHA-256 over the model description and every file
 * of the tfjs model (names and bytes, in name order), so retraining or editing the weights
 * gives another fingerprint and the gallery refuses the new embeddings.
 */
export async function modelFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = [METADATA_FILE, ...(await readdir(join(dir, 'model'))).sort().map((f) => join('model', f))];
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(dir, file)));
  }
  return `sha256:${hash.digest('hex')}`;
}

/** One image of a face folder and the identity (sub-folder) it belongs to. */
export interface FolderImage {
  readonly identity: string;
  readonly path: string;
  /** The path relative to the folder, as stored in the gallery's metadata. */
  readonly file: string;
}

/** Every image of `<root>/<identity>/<image>`, identities and images sorted by name (code point). */
export async function listFaceFolder(root: string): Promise<FolderImage[][]> {
  await checkFaceFolder(root);
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const identities = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byName);
  const out: FolderImage[][] = [];
  for (const identity of identities) {
    const files = (await readdir(join(root, identity), { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort(byName);
    out.push(files.map((name) => ({ identity, path: join(root, identity, name), file: relative(root, join(root, identity, name)) })));
  }
  return out;
}

/** Parses `--per-identity`-style positive integers. */
export function positiveInteger(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new OptionValueError(`${flag} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new OptionValueError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

const CHUNK = 256;

/** Unit-length embeddings of decoded images, `CHUNK` at a time so a large folder never sits in one tensor. */
export async function embedRgbImages(model: tfl.LayersModel, images: readonly RgbImage[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += CHUNK) {
    const x = imagesToTensor(images.slice(start, start + CHUNK));
    try {
      const { data, size } = await embedImages(model, x);
      const unit = normalizeRows(data, size);
      for (let r = 0; r < unit.length / size; r++) out.push(Float32Array.from(unit.subarray(r * size, (r + 1) * size)));
    } finally {
      x.dispose();
    }
  }
  return out;
}

/** Reads, decodes and embeds image files (in chunks), calling `progress` with the count done. */
export async function embedFiles(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  paths: readonly string[],
  progress: (done: number) => void = () => {},
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < paths.length; start += CHUNK) {
    const images: RgbImage[] = [];
    for (const path of paths.slice(start, start + CHUNK)) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(path));
      } catch (cause) {
        throw new OptionValueError(`cannot read image '${path}' (${(cause as Error).message})`);
      }
      images.push(await decodeForModel(bytes, path, metadata.inputShape));
    }
    out.push(...(await embedRgbImages(model, images)));
    progress(out.length);
  }
  return out;
}

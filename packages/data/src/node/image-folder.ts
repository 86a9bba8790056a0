import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '@arcface/core';
import { checkIndex, type FaceDataset } from '../dataset/face-dataset';
import { ImageDecodeError, MissingFileError } from '../errors';
import { checkImageBytes } from './check-image';
import type { RgbImage } from '../image/rgb-image';
import { BAD_IMAGE_HINT, decodeImage, type DecodeOptions } from './decode-image';

export interface ImageFolderOptions extends DecodeOptions {
  /**
   * For a flat folder: the identity of a file from its name (Yale: `name => name.split('.')[0]`).
   * Without it the folder must hold one sub-folder per identity (`identity/xxx.jpg`).
   */
  identityFromName?: (fileName: string) => string;
  /** Which files count as images [every file not starting with '.'; formats are sniffed, not guessed from names]. */
  filter?: (fileName: string) => boolean;
}

/** A labelled image folder; class ids follow the sorted identity names. */
export interface ImageFolderDataset extends FaceDataset {
  readonly root: string;
  /** Identity names; class c is `identities[c]`. */
  readonly identities: readonly string[];
  /** Path of every sample, relative to the root. */
  readonly files: readonly string[];
  readFile(index: number): Promise<Uint8Array>;
  /** The path of sample `index`. */
  describe(index: number): string;
  /** Checks the file's header and end marker without decoding it (see `checkImageBytes`). */
  checkImage(index: number): Promise<void>;
}

/**
 * Lists a face folder: `root/identity/file` (as torchvision's ImageFolder), or a flat folder
 * with `identityFromName`. Identities and files are sorted by code point, so class ids are
 * stable across machines. Images are decoded on demand (sharp, or PGM by hand).
 *
 * @example
 * const orl = await openImageFolder('data/orl');                       // s1/1.pgm …
 * const yale = await openImageFolder('data/yale', { identityFromName: (n) => n.split('.')[0] });
 */
export async function openImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const filter = options.filter ?? ((name: string) => !name.startsWith('.'));
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MissingFileError([root]);
    throw error;
  });
  const samples: Array<{ file: string; identity: string }> = [];
  if (options.identityFromName) {
    for (const entry of entries) {
      if (!entry.isFile() || !filter(entry.name)) continue;
      const identity = options.identityFromName(entry.name);
      if (typeof identity !== 'string' || identity.length === 0) {
        throw new InvalidArgumentError(`identityFromName gave ${JSON.stringify(identity)} for '${entry.name}'`);
      }
      samples.push({ file: entry.name, identity });
    }
  } else {
    for (const dir of entries) {
      if (!dir.isDirectory() || dir.name.startsWith('.')) continue;
      for (const entry of await readdir(join(root, dir.name), { withFileTypes: true })) {
        if (entry.isFile() && filter(entry.name)) samples.push({ file: `${dir.name}/${entry.name}`, identity: dir.name });
      }
    }
  }
  if (samples.length === 0) throw new InvalidArgumentError(`no images found in '${root}'`);
  const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  samples.sort((a, b) => byCodePoint(a.identity, b.identity) || byCodePoint(a.file, b.file));
  const identities = [...new Set(samples.map((s) => s.identity))];
  const classOf = new Map(identities.map((name, c) => [name, c]));
  const labels = Int32Array.from(samples, (s) => classOf.get(s.identity) as number);
  const files = samples.map((s) => s.file);
  const pathOf = (index: number): string => {
    checkIndex(index, files.length);
    return join(root, files[index] as string);
  };
  const read = async (index: number): Promise<Uint8Array> => {
    const path = pathOf(index);
    return new Uint8Array(
      await readFile(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new MissingFileError([path]);
        throw new ImageDecodeError(`cannot read the file: ${error.message}; ${BAD_IMAGE_HINT}`, { cause: error, source: path });
      }),
    );
  };
  return {
    root,
    identities,
    files,
    length: files.length,
    numClasses: identities.length,
    label(index) {
      checkIndex(index, labels.length);
      return labels[index] as number;
    },
    readFile: read,
    async loadImage(index): Promise<RgbImage> {
      return decodeImage(await read(index), { ...options, source: pathOf(index) });
    },
    describe: pathOf,
    async checkImage(index): Promise<void> {
      await checkImageBytes(await read(index), { source: pathOf(index) });
    },
  };
}

/**
 * Groups files whose bytes are identical (by SHA-256), e.g. the 9 duplicate pairs of the Yale
 * set; de-duplicate before drawing verification pairs. Returns groups of ≥ 2 dataset indices.
 */
export async function findDuplicateImages(dataset: Pick<ImageFolderDataset, 'length' | 'readFile'>): Promise<number[][]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < dataset.length; i++) {
    const digest = createHash('sha256').update(await dataset.readFile(i)).digest('hex');
    const group = groups.get(digest);
    if (group) group.push(i);
    else groups.set(digest, [i]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ArcfaceError } from '@arcface/core';
import { collectGarbageClosedDescriptors, goldenPath, mutatedFiles, openDescriptors, scratchDir, withinTime } from '@arcface/testing';
import { createSyntheticFaces } from '../synthetic/synthetic-faces';
import { checkImageBytes } from './check-image';
import { decodeImage } from './decode-image';
import { openImageFolder } from './image-folder';
import { readLfwPairs } from './lfw-pairs-file';
import { openRecordIO } from './open-recordio';
import { openRecordIODataset } from './recordio-dataset';
import { readVerificationBin } from './verification-bin-file';

/**
 * Mutated files through the file readers, as a service validating uploads would see them: every
 * outcome is a result or one of our typed errors whose message names the file; the process holds
 * as many descriptors after each case as before it (nothing left for the garbage collector to
 * close); no case runs past its time limit.
 */
const CASES = 1000;
const CASE_MS = 5000;
const dir = scratchDir('arcface-file-fuzz-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Tally {
  cases: number;
  ok: number;
  errors: Record<string, number>;
  untyped: string[];
  unnamed: string[];
  leaks: string[];
  descriptors: { before: number | undefined; after: number | undefined };
}

/**
 * Runs `cases` files through `run`. Errors thrown by `run` and errors it collects per record
 * (`soft`) must be typed and name `names` (the file); descriptors are counted around each case.
 */
async function fuzz(
  format: string,
  files: readonly Uint8Array[],
  write: (bytes: Uint8Array, i: number) => string,
  run: (path: string, soft: (error: unknown) => void, i: number) => Promise<void>,
): Promise<Tally> {
  const tally: Tally = { cases: 0, ok: 0, errors: {}, untyped: [], unnamed: [], leaks: [], descriptors: { before: openDescriptors(), after: undefined } };
  const record = (error: unknown, path: string, i: number): void => {
    if (!(error instanceof ArcfaceError)) {
      tally.untyped.push(`case ${i}: ${String(error)}`);
      return;
    }
    tally.errors[error.name] = (tally.errors[error.name] ?? 0) + 1;
    if (!error.message.includes(path)) tally.unnamed.push(`case ${i}: ${error.message}`);
  };
  for (const [i, bytes] of files.entries()) {
    const path = write(bytes, i);
    const before = openDescriptors();
    let failed = false;
    try {
      await withinTime(run(path, (error) => record(error, path, i), i), CASE_MS, `${format} case ${i}`);
    } catch (error) {
      failed = true;
      record(error, path, i);
    }
    if (!failed) tally.ok++;
    tally.cases++;
    const after = openDescriptors();
    if (after !== before) tally.leaks.push(`case ${i}: ${before} → ${after} descriptors`);
  }
  tally.descriptors.after = openDescriptors();
  // Figures for the record: cases, outcomes by error class, descriptors before and after.
  console.log(`fuzz ${format}: ${JSON.stringify({ cases: tally.cases, ok: tally.ok, errors: tally.errors, untyped: tally.untyped.length, descriptors: tally.descriptors })}`);
  return tally;
}

function expectClean(tally: Tally): void {
  expect(tally.cases).toBeGreaterThanOrEqual(CASES);
  expect(tally.untyped, 'untyped errors').toEqual([]);
  expect(tally.unnamed.slice(0, 5), 'errors that do not name the file').toEqual([]);
  expect(tally.leaks.slice(0, 5), 'descriptors left open').toEqual([]);
  expect(tally.descriptors.after).toBe(tally.descriptors.before);
}

const writeAndName = async (path: string, bytes: Uint8Array): Promise<string> => {
  writeFileSync(path, bytes);
  return path;
};

const soft = async <T>(promise: Promise<T>, onError: (error: unknown) => void): Promise<T | undefined> => {
  try {
    return await promise;
  } catch (error) {
    onError(error);
    return undefined;
  }
};

describe('file readers on mutated files: typed errors naming the file, no descriptor left open, no hang', () => {
  it(`RecordIO: ${CASES} mutated .rec files (by .idx and by scanning) and ${CASES} mutated .idx files`, async () => {
    const rec = new Uint8Array(readFileSync(goldenPath('recordio/train.rec')));
    const idx = new Uint8Array(readFileSync(goldenPath('recordio/train.idx')));
    mkdirSync(join(dir, 'rec'));
    const recPath = join(dir, 'rec', 'train.rec');
    const readAll = async (path: string, idxPath: string | null | undefined, onError: (error: unknown) => void): Promise<void> => {
      const set = await openRecordIODataset(path, { idxPath });
      try {
        for (let i = 0; i < set.length; i++) {
          await soft(set.checkImage(i), onError);
          await soft(set.loadImage(i), onError);
        }
        await soft(
          (async () => {
            for await (const _ of set.reader.records()) void _;
          })(),
          onError,
        );
      } finally {
        await set.close();
      }
    };
    const recTally = await fuzz(
      'recordio-rec',
      mutatedFiles(rec, CASES, 20261206),
      (bytes) => {
        writeFileSync(recPath, bytes);
        writeFileSync(join(dir, 'rec', 'train.idx'), idx);
        return recPath;
      },
      (path, onError, i) => readAll(path, i % 2 === 0 ? undefined : null, onError),
    );
    expectClean(recTally);
    const idxPath = join(dir, 'rec', 'train.idx');
    const idxTally = await fuzz(
      'recordio-idx',
      mutatedFiles(idx, CASES, 20261207),
      (bytes) => {
        writeFileSync(recPath, rec);
        writeFileSync(idxPath, bytes);
        return join(dir, 'rec');
      },
      async (_, onError) => {
        // A reader opened straight (not as a dataset) is closed by its owner even after a failed read.
        const reader = await openRecordIO(recPath, idxPath);
        try {
          for (const key of reader.keys) await soft(reader.read(key), onError);
        } finally {
          await reader.close();
        }
      },
    );
    expectClean(idxTally);
  });

  it(`verification .bin: ${CASES} mutated files (Python 2 and 3 pickles)`, async () => {
    const sources = ['verify_py2.bin', 'verify_py3.bin'].map((f) => new Uint8Array(readFileSync(goldenPath('bin', f))));
    const path = join(dir, 'verify.bin');
    // The golden bins are 400 kB; half the cases use a small bin of the same shape (protocol 3:
    // a tuple of a list of 4 BINBYTES images and a list of 2 bools), so the run stays quick.
    const png = await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer();
    const small = Uint8Array.from([
      0x80, 0x03, 0x5d, 0x28,
      ...[0, 1, 2, 3].flatMap(() => [0x43, png.length, ...png]),
      0x65, 0x5d, 0x28, 0x88, 0x89, 0x65, 0x86, 0x2e,
    ]);
    expect(await readVerificationBin(await writeAndName(path, small))).toMatchObject({ isSame: [true, false] });
    const files = [
      ...mutatedFiles(sources[0] as Uint8Array, CASES / 4, 31),
      ...mutatedFiles(sources[1] as Uint8Array, CASES / 4, 32),
      ...mutatedFiles(small, CASES / 2, 33),
    ];
    const tally = await fuzz(
      'verification-bin',
      files,
      (bytes) => {
        writeFileSync(path, bytes);
        return path;
      },
      async (p) => {
        const { images, isSame } = await readVerificationBin(p);
        expect(images.length).toBe(2 * isSame.length);
      },
    );
    expectClean(tally);
  });

  it(`LFW pairs.txt: ${CASES} mutated files, checked against an image folder`, async () => {
    const text = new TextEncoder().encode('2\t2\nA\t1\t2\nB\t1\t3\nA\t1\tB\t2\nC\t4\tD\t1\nC\t1\t2\nD\t2\t3\nA\t2\tD\t3\nB\t1\tC\t1\n');
    const images = join(dir, 'lfw');
    for (const [name, n] of [['A', 3], ['B', 3], ['C', 4], ['D', 3]] as const) {
      mkdirSync(join(images, name), { recursive: true });
      for (let k = 1; k <= n; k++) writeFileSync(join(images, name, `${name}_${String(k).padStart(4, '0')}.jpg`), 'x');
    }
    const path = join(dir, 'pairs.txt');
    const tally = await fuzz(
      'pairs-txt',
      mutatedFiles(text, CASES, 41),
      (bytes) => {
        writeFileSync(path, bytes);
        return path;
      },
      async (p, _, i) => {
        // Missing images are named by their own paths, which lie in the images folder.
        const parsed = await readLfwPairs(p, i % 2 === 0 ? {} : { imagesDir: images }).catch((error: unknown) => {
          if (error instanceof ArcfaceError && error.code === 'ERR_MISSING_FILE' && error.message.includes(images)) return undefined;
          throw error;
        });
        if (parsed) expect(parsed.pairs.length).toBe(parsed.folds * parsed.pairsPerFold * 2);
      },
    );
    expectClean(tally);
  });

  describe('images in a folder: header check and decoding', async () => {
    const faces = createSyntheticFaces({ identities: 2, imagesPerIdentity: 1, size: 40, seed: 5 });
    const raw = () => sharp(faces.image(0), { raw: { width: 40, height: 40, channels: 3 } });
    const pgm = Uint8Array.from([...new TextEncoder().encode('P5\n# face\n6 4\n255\n'), ...Array.from({ length: 24 }, (_, i) => i * 10)]);
    const sources: Record<string, () => Promise<Uint8Array>> = {
      jpeg: async () => raw().jpeg({ quality: 90 }).toBuffer(),
      png: async () => raw().png().toBuffer(),
      gif: async () => raw().gif().toBuffer(),
      webp: async () => raw().webp({ quality: 80 }).toBuffer(),
      pgm: async () => pgm,
    };
    for (const [format, make] of Object.entries(sources)) {
      it(`${format}: ${CASES} mutated files`, async () => {
        const source = await make();
        const root = join(dir, `images-${format}`);
        mkdirSync(join(root, 'alice'), { recursive: true });
        mkdirSync(join(root, 'bob'), { recursive: true });
        writeFileSync(join(root, 'bob', 'good'), source);
        const path = join(root, 'alice', 'face');
        writeFileSync(path, source);
        const folder = await openImageFolder(root, { size: 24 });
        const tally = await fuzz(
          `image-${format}`,
          mutatedFiles(new Uint8Array(source), CASES, 50 + format.length),
          (bytes) => {
            writeFileSync(path, bytes);
            return path;
          },
          async (_, onError) => {
            await soft(folder.checkImage(0), onError);
            const image = await folder.loadImage(0);
            expect(image.data.length).toBe(24 * 24 * 3);
          },
        );
        expectClean(tally);
        // A file the header check passes must not be one the decoder cannot even start on.
        await expect(checkImageBytes(source, { source: 'original' })).resolves.toMatchObject({ format });
        await expect(decodeImage(source)).resolves.toBeDefined();
      });
    }
  });

  it('no FileHandle was left for the garbage collector to close', async () => {
    expect(await collectGarbageClosedDescriptors()).toEqual([]);
  });

  it('the garbage-collection check does see a handle dropped without closing (so the one above can fail)', async () => {
    const before = openDescriptors();
    await (async () => {
      // Deliberately leaked: opened, never closed, unreachable once this function returns.
      await open(goldenPath('recordio/train.rec'), 'r');
    })();
    expect(openDescriptors()).toBe((before as number) + 1);
    const warnings = await collectGarbageClosedDescriptors();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(openDescriptors()).toBe(before);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenPath } from '@arcface/testing';
import { ImageDecodeError, MissingFileError, PairsFormatError } from '../errors';
import { createSyntheticFaces } from '../synthetic/synthetic-faces';
import { decodeImage } from './decode-image';
import { findDuplicateImages, openImageFolder } from './image-folder';
import { readLfwPairs } from './lfw-pairs-file';
import { openRecordIODataset } from './recordio-dataset';
import { readVerificationBin } from './verification-bin-file';

const dir = mkdtempSync(join(tmpdir(), 'arcface-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const face = createSyntheticFaces({ identities: 2, imagesPerIdentity: 2, size: 48, seed: 1 });
const raw = (i: number) => sharp(face.image(i), { raw: { width: 48, height: 48, channels: 3 } });
const encoded: Record<string, Buffer> = {};

beforeAll(async () => {
  encoded.png = await raw(0).png().toBuffer();
  encoded.jpeg = await raw(1).jpeg({ quality: 95 }).toBuffer();
  encoded.gif = await raw(2).gif().toBuffer();
  encoded.webp = await raw(3).webp({ lossless: true }).toBuffer();
});

describe('decodeImage', () => {
  it('decodes PNG and lossless WebP exactly, JPEG and GIF closely', async () => {
    for (const [format, i, tolerance] of [['png', 0, 0], ['webp', 3, 0], ['jpeg', 1, 12], ['gif', 2, 40]] as const) {
      const img = await decodeImage(encoded[format] as Buffer);
      expect([img.width, img.height, img.data.length]).toEqual([48, 48, 48 * 48 * 3]);
      let sum = 0;
      const want = face.image(i);
      img.data.forEach((v, k) => (sum += Math.abs(v - (want[k] as number))));
      expect(sum / img.data.length, format).toBeLessThanOrEqual(tolerance);
    }
  });

  it('decodes grey images to RGB and resizes to the model input', async () => {
    const grey = await sharp(Buffer.alloc(30 * 20, 90), { raw: { width: 30, height: 20, channels: 1 } }).png().toBuffer();
    const img = await decodeImage(grey, { size: 16 });
    expect([img.width, img.height]).toEqual([16, 16]);
    expect(img.data.every((v) => v === 90)).toBe(true);
    const pgm = Uint8Array.from([...new TextEncoder().encode('P5\n4 2\n255\n'), 10, 20, 30, 40, 50, 60, 70, 80]);
    expect((await decodeImage(pgm, { size: [3, 5], fit: 'fill' })).data.length).toBe(45);
  });

  it('corrupt, truncated, empty or unknown bytes are ImageDecodeErrors', async () => {
    const jpeg = encoded.jpeg as Buffer;
    await expect(decodeImage(new Uint8Array(0))).rejects.toThrow(/empty image/);
    await expect(decodeImage(new TextEncoder().encode('not an image'))).rejects.toThrow(/unknown image format/);
    await expect(decodeImage(jpeg.subarray(0, 200))).rejects.toBeInstanceOf(ImageDecodeError);
    const garbled = Buffer.from(jpeg);
    garbled.fill(0x55, 20, 400);
    await expect(decodeImage(garbled)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(decodeImage(Uint8Array.from([0xff, 0xd8, 0xff]))).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('image folders', () => {
  it('reads identity/xxx folders and flat folders with identity-from-name', async () => {
    const nested = join(dir, 'nested');
    for (const [who, i] of [['bob', 0], ['alice', 1], ['alice', 2]] as const) {
      mkdirSync(join(nested, who), { recursive: true });
      writeFileSync(join(nested, who, `${i}.png`), encoded.png as Buffer);
    }
    writeFileSync(join(nested, 'alice', '.DS_Store'), 'junk');
    const ds = await openImageFolder(nested, { size: 32 });
    expect(ds.identities).toEqual(['alice', 'bob']);
    expect(ds.files).toEqual(['alice/1.png', 'alice/2.png', 'bob/0.png']);
    expect([ds.label(0), ds.label(2), ds.numClasses]).toEqual([0, 1, 2]);
    expect((await ds.loadImage(2)).width).toBe(32);
    expect(await findDuplicateImages(ds)).toEqual([[0, 1, 2]]);

    const flat = join(dir, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'subject02.happy'), encoded.gif as Buffer);
    writeFileSync(join(flat, 'subject01.sad'), encoded.jpeg as Buffer);
    writeFileSync(join(flat, 'subject01.wink'), 'corrupt');
    const yale = await openImageFolder(flat, { identityFromName: (n) => n.split('.')[0] as string });
    expect(yale.identities).toEqual(['subject01', 'subject02']);
    expect(yale.files).toEqual(['subject01.sad', 'subject01.wink', 'subject02.happy']);
    expect((await yale.loadImage(2)).data.length).toBe(48 * 48 * 3);
    await expect(yale.loadImage(1)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(openImageFolder(join(dir, 'missing'))).rejects.toBeInstanceOf(MissingFileError);
  });
});

describe('LFW pairs.txt and .bin files', () => {
  it('reads pairs and reports images it names that are missing', async () => {
    const images = join(dir, 'lfw');
    mkdirSync(join(images, 'Ann'), { recursive: true });
    for (const n of ['0001', '0002']) writeFileSync(join(images, 'Ann', `Ann_${n}.jpg`), encoded.jpeg as Buffer);
    const path = join(dir, 'pairs.txt');
    writeFileSync(path, '1\t1\nAnn\t1\t2\nAnn\t1\tBen\t3\n');
    const pairs = await readLfwPairs(path);
    expect(pairs.pairs.map((p) => p.isSame)).toEqual([true, false]);
    await expect(readLfwPairs(path, { imagesDir: images })).rejects.toThrow(/1 file\(s\) not found: '.*Ben\/Ben_0003.jpg'; named on line 3;/);
    writeFileSync(path, '1\t1\nAnn\t1\nAnn\t1\tBen\t3\n');
    await expect(readLfwPairs(path)).rejects.toBeInstanceOf(PairsFormatError);
    await expect(readLfwPairs(path)).rejects.toThrow(`'${path}': pairs.txt line 2: a matched pair has 3 fields, got 2; fix that line`);
    await expect(readLfwPairs(join(dir, 'nope.txt'))).rejects.toBeInstanceOf(MissingFileError);
  });

  it('readVerificationBin reads the golden py2 file from disk', async () => {
    const { images, isSame } = await readVerificationBin(goldenPath('bin/verify_py2.bin'));
    expect(images.length).toBe(2 * isSame.length);
    const first = await decodeImage(images[0] as Uint8Array);
    expect(first.width).toBeGreaterThan(0);
  });

  it('openRecordIODataset serves the golden set as a FaceDataset', async () => {
    const ds = await openRecordIODataset(goldenPath('recordio/train.rec'), { size: 8 });
    expect([ds.length, ds.numClasses]).toEqual([6, 3]);
    expect(Array.from({ length: 6 }, (_, i) => ds.label(i))).toEqual([0, 0, 1, 1, 1, 2]);
    expect((await ds.loadImage(0)).data.length).toBe(8 * 8 * 3);
    await ds.close();
  });
});

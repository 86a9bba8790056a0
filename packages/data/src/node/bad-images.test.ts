import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDir } from '@arcface/testing';
import { BadImagesError, ImageDecodeError, TooFewIdentitiesError } from '../errors';
import { checkIdentities } from '../pipeline/check-identities';
import { createCheckedDataPipeline, createDataPipeline } from '../pipeline/data-pipeline';
import { formatBadImages, screenDataset } from '../pipeline/screen-dataset';
import { createSyntheticFaces } from '../synthetic/synthetic-faces';
import { checkImageBytes } from './check-image';
import { openImageFolder } from './image-folder';
import { openRecordIODataset } from './recordio-dataset';
import { writeFaceRecordIO } from './recordio-writer';

const dir = scratchDir('arcface-bad-images-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const faces = createSyntheticFaces({ identities: 4, imagesPerIdentity: 5, size: 48, seed: 21 });
const jpegOf = (i: number) => sharp(faces.image(i), { raw: { width: 48, height: 48, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();

/** A folder of 20 synthetic faces (4 people × 5) with three of them broken in three ways. */
const root = join(dir, 'faces');
const broken = new Map<string, (good: Buffer) => Uint8Array>([
  ['p1/2.jpg', (good) => good.subarray(0, Math.floor(good.length / 2))], // truncated download
  ['p2/0.jpg', () => new TextEncoder().encode('garbage, not an image at all')], // wrong content
  ['p3/4.jpg', () => new Uint8Array(0)], // empty file
]);

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (let i = 0; i < faces.length; i++) {
    const rel = `p${faces.label(i)}/${i % 5}.jpg`;
    mkdirSync(join(root, `p${faces.label(i)}`), { recursive: true });
    const good = await jpegOf(i);
    writeFileSync(join(root, rel), broken.get(rel)?.(good) ?? good);
  }
});

describe('the validation pass before training (onBadImage)', () => {
  it("'stop' (the default) lists all three bad files at once, with paths and reasons, before any batch", async () => {
    const folder = await openImageFolder(root);
    const error = await screenDataset(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadImagesError);
    const bad = error as BadImagesError;
    expect(bad.images.map((b) => b.source)).toEqual([...broken.keys()].map((rel) => join(root, rel)));
    expect(bad.checked).toBe(20);
    for (const rel of broken.keys()) expect(bad.message).toContain(join(root, rel));
    expect(bad.message).toMatch(/3 of 20 images cannot be read/);
    expect(bad.message).toMatch(/--on-bad-image skip/);
    expect(bad.images.map((b) => b.reason)).toEqual([expect.stringMatching(/truncated/), expect.stringMatching(/unknown image format/), expect.stringMatching(/empty image/)]);
    // The pipeline API stops the same way, before it yields a batch.
    await expect(createCheckedDataPipeline(folder, { batchSize: 4, inputSize: 32 })).rejects.toBeInstanceOf(BadImagesError);
  });

  it("'skip' trains on the other 17 and reports which 3 it left out, as a list the caller can write", async () => {
    const folder = await openImageFolder(root);
    const { pipeline, dataset, skipped } = await createCheckedDataPipeline(folder, { batchSize: 4, inputSize: 32, onBadImage: 'skip', seed: 1 });
    expect(skipped.map((b) => b.index)).toEqual([...broken.keys()].map((rel) => folder.files.indexOf(rel)));
    expect(dataset.length).toBe(17);
    expect(dataset.numClasses).toBe(4);
    const list = formatBadImages(skipped);
    expect(list.trim().split('\n')).toHaveLength(3);
    expect(list).toContain(`${join(root, 'p1/2.jpg')}\t`);
    let samples = 0;
    for await (const batch of pipeline.epoch(0)) {
      samples += batch.labels.shape[0];
      tf.dispose([batch.images, batch.labels]);
    }
    expect(samples).toBe(16);
    expect(pipeline.skipped).toEqual([]);
  });

  it('a file that passes the header check but fails to decode stops with its path, or is replaced under skip', async () => {
    const good = await sharp(faces.image(3), { raw: { width: 48, height: 48, channels: 3 } }).png().toBuffer();
    // Corrupt the compressed pixels but keep the header and the IEND chunk: only decoding finds it.
    const corrupt = Buffer.from(good);
    const idat = corrupt.indexOf(Buffer.from('IDAT'));
    corrupt.fill(0x55, idat + 8, idat + 40);
    await expect(checkImageBytes(corrupt)).resolves.toMatchObject({ format: 'png' });
    await expect(checkImageBytes(corrupt, { decode: true, source: 'x.png' })).rejects.toThrow(/'x.png': cannot decode png/);
    const flat = join(dir, 'flat');
    mkdirSync(flat, { recursive: true });
    for (let i = 0; i < 8; i++) writeFileSync(join(flat, `${i % 2}-${i}.jpg`), i === 3 ? corrupt : await jpegOf(i));
    const folder = await openImageFolder(flat, { identityFromName: (n) => n.split('-')[0] as string });
    const stop = createDataPipeline(folder, { batchSize: 8, inputSize: 16, shuffle: false });
    const bad = folder.files.indexOf('1-3.jpg');
    await expect(stop.load([bad])).rejects.toThrow(join(flat, '1-3.jpg'));
    const skip = createDataPipeline(folder, { batchSize: 8, inputSize: 16, shuffle: false, onBadImage: 'skip' });
    const { labels } = await skip.load([0, bad]);
    // The next sample ('1-5.jpg', class 1) took the bad one's place.
    expect(folder.files[bad + 1]).toBe('1-5.jpg');
    expect(Array.from(labels)).toEqual([0, 1]);
    expect(skip.skipped.map((b) => b.source)).toEqual([join(flat, '1-3.jpg')]);
  });

  it('RecordIO images are named by file and record key', async () => {
    const rec = join(dir, 'faces.rec');
    const samples = await Promise.all(Array.from({ length: 6 }, async (_, i) => ({ label: i % 2 === 0 ? 0 : 1, image: new Uint8Array(await jpegOf(i)) })));
    samples.sort((a, b) => a.label - b.label);
    (samples[4] as { image: Uint8Array }).image = new TextEncoder().encode('not a face');
    await writeFaceRecordIO(rec, samples);
    const set = await openRecordIODataset(rec);
    try {
      const error = (await screenDataset(set).catch((e: unknown) => e)) as BadImagesError;
      expect(error.images.map((b) => b.source)).toEqual([`${rec} record 5`]);
      await expect(set.loadImage(4)).rejects.toThrow(`'${rec} record 5': unknown image format`);
    } finally {
      await set.close();
    }
  });

  it('only decode errors count as bad images: a file deleted after listing is not silently skipped', async () => {
    const gone = join(dir, 'gone');
    mkdirSync(join(gone, 'a'), { recursive: true });
    mkdirSync(join(gone, 'b'), { recursive: true });
    writeFileSync(join(gone, 'a', '1.jpg'), await jpegOf(0));
    writeFileSync(join(gone, 'b', '1.jpg'), await jpegOf(1));
    const folder = await openImageFolder(gone);
    rmSync(join(gone, 'b', '1.jpg'));
    await expect(screenDataset(folder, { onBadImage: 'skip' })).rejects.toThrow(/not found/);
  });
});

describe('degenerate training sets', () => {
  it('a single identity is refused with TooFewIdentitiesError, by checkIdentities and by the checked pipeline', async () => {
    const one = join(dir, 'one');
    mkdirSync(join(one, 'solo'), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(one, 'solo', `${i}.jpg`), await jpegOf(i));
    const folder = await openImageFolder(one);
    expect(() => checkIdentities(folder)).toThrow(TooFewIdentitiesError);
    expect(() => checkIdentities(folder)).toThrow(/1 identity with images; training needs at least 2/);
    await expect(createCheckedDataPipeline(folder, { batchSize: 2 })).rejects.toBeInstanceOf(TooFewIdentitiesError);
    expect(checkIdentities(faces)).toBe(4);
  });

  it('skipping can leave a single identity: that is refused too, saying why', async () => {
    const two = join(dir, 'two');
    mkdirSync(join(two, 'a'), { recursive: true });
    mkdirSync(join(two, 'b'), { recursive: true });
    writeFileSync(join(two, 'a', '1.jpg'), await jpegOf(0));
    writeFileSync(join(two, 'a', '2.jpg'), await jpegOf(1));
    writeFileSync(join(two, 'b', '1.jpg'), new Uint8Array([1, 2, 3]));
    const error = await screenDataset(await openImageFolder(two), { onBadImage: 'skip' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooFewIdentitiesError);
    expect((error as Error).message).toMatch(/without its unreadable images has 1 identity/);
  });

  it('decode errors name the file for folder images (the case a training run used to report without a name)', async () => {
    const folder = await openImageFolder(root);
    const index = folder.files.indexOf('p2/0.jpg');
    const error = (await folder.loadImage(index).catch((e: unknown) => e)) as ImageDecodeError;
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.source).toBe(join(root, 'p2/0.jpg'));
    expect(error.message).toMatch(new RegExp(`^'${join(root, 'p2/0.jpg')}': unknown image format \\(first bytes 67 61 72 62`));
    expect(error.message).toMatch(/replace or remove the file/);
  });
});

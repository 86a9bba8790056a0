import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenPath, readGolden } from '@arcface/testing';
import { MissingFileError } from '../errors';
import { openRecordIO } from './open-recordio';
import { RecordIOWriter, writeFaceRecordIO } from './recordio-writer';

const dir = mkdtempSync(join(tmpdir(), 'arcface-recordio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('RecordIO files', () => {
  it('opens the golden set by path, with the .idx beside it', async () => {
    const expected = readGolden<{ images: Array<{ key: number; sha256: string }>; identities: Array<{ range: [number, number] }> }>('recordio/expected.json');
    const rec = await openRecordIO(goldenPath('recordio/train.rec'));
    expect(rec.identities).toEqual(expected.identities.map((i) => i.range));
    for (const image of expected.images) expect(sha256((await rec.read(image.key)).image)).toBe(image.sha256);
    await rec.close();
  });

  it('writes the golden set back byte-identically (.rec and .idx)', async () => {
    const source = await openRecordIO(goldenPath('recordio/train.rec'));
    const out = join(dir, 'copy.rec');
    const writer = await RecordIOWriter.create(out);
    for (const key of source.keys) await writer.write(key, await source.readPayload(key));
    await writer.close();
    await source.close();
    expect(readFileSync(out)).toEqual(readFileSync(goldenPath('recordio/train.rec')));
    expect(readFileSync(join(dir, 'copy.idx'), 'utf8')).toBe(readFileSync(goldenPath('recordio/train.idx'), 'utf8'));
  });

  it('a missing .idx or .rec is a MissingFileError', async () => {
    await expect(openRecordIO(join(dir, 'nope.rec'))).rejects.toBeInstanceOf(MissingFileError);
    await expect(openRecordIO(join(dir, 'nope.rec'), null)).rejects.toBeInstanceOf(MissingFileError);
  });

  it('resolves header0 and identity ranges that float32 rounded (keys above 2^24)', async () => {
    // Images at keys 2^24−1 … 2^24+2 (classes 0, 0, 1, 1); identities at 2^24+3, 2^24+4.
    // As float32, A = 2^24+3 reads 2^24+4 and class 0's end 2^24+1 reads 2^24.
    const base = 2 ** 24 - 1;
    const path = join(dir, 'big-keys.rec');
    const w = await RecordIOWriter.create(path);
    const image = (n: number): Uint8Array => Uint8Array.from([0xff, 0xd8, n]);
    for (let k = 0; k < 4; k++) await w.write(base + k, { label: k < 2 ? 0 : 1, id: base + k, image: image(k) });
    await w.write(base + 4, { label: [base, base + 2], id: base + 4 });
    await w.write(base + 5, { label: [base + 2, base + 4], id: base + 5 });
    await w.write(0, { label: [base + 4, base + 6], id: 0 });
    await w.close();
    const rec = await openRecordIO(path);
    expect(Math.fround(base + 4)).not.toBe(base + 4);
    expect(rec.imageKeys).toEqual([base, base + 1, base + 2, base + 3]);
    expect(rec.identities).toEqual([
      [base, base + 2],
      [base + 2, base + 4],
    ]);
    await rec.close();
  });

  it('writeFaceRecordIO builds the insightface layout, header0 last, and a property file', async () => {
    const path = join(dir, 'faces.rec');
    const samples = [0, 0, 1, 3, 3, 3].map((label, i) => ({ label, image: Uint8Array.from([0xff, 0xd8, i]) }));
    const written = await writeFaceRecordIO(path, samples, { imageSize: [112, 112] });
    expect(written).toEqual({ images: 6, identities: 4 });
    const rec = await openRecordIO(path);
    expect(rec.imageKeys).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rec.identities).toEqual([
      [1, 3],
      [3, 4],
      [4, 4],
      [4, 7],
    ]);
    expect(rec.keys[rec.keys.length - 1]).toBe(0);
    expect(await rec.readLabel(5)).toBe(3);
    expect(readFileSync(join(dir, 'property'), 'utf8')).toBe('4,112,112');
    await rec.close();
    await expect(writeFaceRecordIO(join(dir, 'bad.rec'), [{ label: 2, image: new Uint8Array(1) }, { label: 1, image: new Uint8Array(1) }])).rejects.toThrow(/non-decreasing/);
  });

  it('reads 100,000 writer-made records by key with resident memory growth under 200 MB', async () => {
    const path = join(dir, 'many.rec');
    const n = 100_000;
    const perClass = 50;
    function* samples(): Generator<{ label: number; image: Uint8Array }> {
      for (let i = 0; i < n; i++) {
        const image = new Uint8Array(48);
        new DataView(image.buffer).setUint32(0, i, true);
        yield { label: Math.floor(i / perClass), image };
      }
    }
    await writeFaceRecordIO(path, samples());
    const rssBefore = process.memoryUsage().rss;
    const rec = await openRecordIO(path);
    expect(rec.imageKeys.length).toBe(n);
    expect(rec.identities.length).toBe(n / perClass);
    let peak = 0;
    // Batches of concurrent reads, as a training pipeline issues them.
    for (let start = 0; start < n; start += 500) {
      const items = await Promise.all(Array.from({ length: 500 }, (_, k) => rec.read(start + k + 1)));
      items.forEach((item, k) => {
        const i = start + k;
        if (new DataView(item.image.buffer, item.image.byteOffset).getUint32(0, true) !== i || item.label !== Math.floor(i / perClass)) {
          throw new Error(`record ${i + 1} read back wrong`);
        }
      });
      if (start % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss - rssBefore);
    }
    let streamed = 0;
    for await (const { item } of rec.records()) if (item.flag === 0) streamed++;
    expect(streamed).toBe(n);
    peak = Math.max(peak, process.memoryUsage().rss - rssBefore);
    await rec.close();
    expect(peak).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});

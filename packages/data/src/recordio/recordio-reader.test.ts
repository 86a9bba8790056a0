import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenPath, readGolden } from '@arcface/testing';
import { RecordIOFormatError, RecordNotFoundError } from '../errors';
import { encodeRecord, parsePartHeader, RECORDIO_MAGIC } from './framing';
import { formatIdx, parseIdx } from './idx';
import { packRecordPayload, unpackRecordPayload } from './ir-header';
import { readRecordIOBytes } from './recordio-reader';

interface Expected {
  rec_sha256: string;
  magic: number;
  header0: { labels: number[]; flag: number };
  images: Array<{ key: number; flag: number; label: number; id: number; id2: number; image_len: number; sha256: string; parts: number }>;
  identities: Array<{ key: number; class: number; range: [number, number] }>;
  physical_parts: Array<{ offset: number; cflag: number; length: number }>;
  split_record_keys: number[];
  idx: Array<[number, number]>;
}

const expected = readGolden<Expected>('recordio/expected.json');
const rec = new Uint8Array(readFileSync(goldenPath('recordio/train.rec')));
const idxText = readFileSync(goldenPath('recordio/train.idx'), 'utf8');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('RecordIO reader on the golden set', () => {
  it('is the golden file', () => {
    expect(sha256(rec)).toBe(expected.rec_sha256);
    expect(RECORDIO_MAGIC).toBe(expected.magic);
  });

  it('parses the .idx in write order (not key order)', () => {
    expect(parseIdx(idxText).map((e) => [e.key, e.offset])).toEqual(expected.idx);
    expect(formatIdx(parseIdx(idxText))).toBe(idxText);
  });

  it('walks every physical part with its continuation flag', () => {
    let at = 0;
    const parts: Array<{ offset: number; cflag: number; length: number }> = [];
    while (at < rec.length) {
      const head = parsePartHeader(rec.subarray(at, at + 8), at, rec.length);
      parts.push({ offset: at, cflag: head.cflag, length: head.length });
      at = head.nextOffset;
    }
    expect(parts).toEqual(expected.physical_parts);
  });

  for (const withIdx of [true, false]) {
    it(`reads every key, label, identity range and image (${withIdx ? 'through .idx' : 'scanning the .rec'})`, async () => {
      const reader = await readRecordIOBytes(rec, withIdx ? idxText : undefined);
      expect([...reader.keys].sort((a, b) => a - b)).toEqual(expected.idx.map(([k]) => k).sort((a, b) => a - b));
      expect(reader.imageKeys).toEqual(expected.images.map((i) => i.key));
      expect(reader.identities).toEqual(expected.identities.map((i) => i.range));
      expect(reader.header0?.label).toEqual(expected.header0.labels);
      for (const image of expected.images) {
        const item = await reader.read(image.key);
        expect(item).toMatchObject({ flag: image.flag, label: image.label, id: image.id, id2: image.id2 });
        expect(item.image.length).toBe(image.image_len);
        expect(sha256(item.image)).toBe(image.sha256);
        expect(await reader.readLabel(image.key)).toBe(image.label);
      }
      for (const identity of expected.identities) {
        const item = await reader.read(identity.key);
        expect(item.flag).toBe(2);
        expect(item.label).toEqual(identity.range);
        expect(item.image.length).toBe(0);
      }
    });
  }

  it('restores the magic word inside split records', async () => {
    const reader = await readRecordIOBytes(rec, idxText);
    for (const key of expected.split_record_keys) {
      const payload = await reader.readPayload(key);
      let found = false;
      for (let i = 0; i + 4 <= payload.length; i += 4) {
        if (new DataView(payload.buffer, payload.byteOffset + i, 4).getUint32(0, true) === RECORDIO_MAGIC) found = true;
      }
      expect(found).toBe(true);
    }
  });

  it('streams every record in file order', async () => {
    const reader = await readRecordIOBytes(rec, idxText);
    const seen: number[] = [];
    for await (const { key, item } of reader.records(64)) {
      seen.push(key);
      const image = expected.images.find((i) => i.key === key);
      if (image) expect(sha256(item.image)).toBe(image.sha256);
    }
    expect(seen).toEqual(expected.idx.map(([k]) => k));
  });

  it('re-frames every record byte-identically', async () => {
    const reader = await readRecordIOBytes(rec, idxText);
    const chunks: Uint8Array[] = [];
    for (const [key] of expected.idx) chunks.push(encodeRecord(await reader.readPayload(key)));
    expect(sha256(Buffer.concat(chunks))).toBe(expected.rec_sha256);
  });

  it('an unknown key is a RecordNotFoundError', async () => {
    const reader = await readRecordIOBytes(rec, idxText);
    await expect(reader.read(42)).rejects.toBeInstanceOf(RecordNotFoundError);
  });
});

describe('RecordIO framing', () => {
  it('matches the worked example byte for byte', () => {
    const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));
    const key1 = encodeRecord(packRecordPayload({ label: 7, id: 1, image: hex('ff d8 ff e0 00') }));
    expect(key1).toEqual(hex('0a 23 d7 ce 1d 00 00 00 00 00 00 00 00 00 e0 40 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff d8 ff e0 00 00 00 00'));
    const key3 = encodeRecord(packRecordPayload({ label: [1, 2], id: 3 }));
    expect(key3).toEqual(hex('0a 23 d7 ce 20 00 00 00 02 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 3f 00 00 00 40'));
    const key0 = encodeRecord(packRecordPayload({ label: [3, 5], id: 0 }));
    expect(key0.subarray(32)).toEqual(hex('00 00 40 40 00 00 a0 40'));
  });

  it('splits at aligned magic words only, and the reader joins them back', async () => {
    const magic = [0x0a, 0x23, 0xd7, 0xce];
    // Magic at aligned offsets 24 and 28 (back to back) and misaligned at 33.
    const image = Uint8Array.from([...magic, ...magic, 1, ...magic, 2, 3, 4]);
    const payload = packRecordPayload({ label: 1, id: 5, image });
    const framed = encodeRecord(payload);
    const flags: number[] = [];
    for (let at = 0; at < framed.length; ) {
      const head = parsePartHeader(framed.subarray(at, at + 8), at, framed.length);
      flags.push(head.cflag);
      at = head.nextOffset;
    }
    expect(flags).toEqual([1, 2, 3]);
    const reader = await readRecordIOBytes(framed, '5\t0\n');
    expect(await reader.readPayload(5)).toEqual(payload);
    expect(unpackRecordPayload(payload).image).toEqual(image);
  });
});

describe('RecordIO bad input', () => {
  const expectFormatError = async (bytes: Uint8Array, idx: string | undefined, pattern: RegExp): Promise<void> => {
    const run = async (): Promise<void> => {
      const reader = await readRecordIOBytes(bytes, idx);
      for (const key of reader.keys) await reader.read(key);
    };
    await expect(run()).rejects.toSatisfy((e: unknown) => e instanceof RecordIOFormatError && pattern.test(e.message));
  };

  it('a truncated .rec', async () => {
    await expectFormatError(rec.subarray(0, 700), idxText, /past the end|truncated|cut off/);
    await expectFormatError(rec.subarray(0, 100), undefined, /truncated/);
  });

  it('a wrong magic', async () => {
    const bad = rec.slice();
    bad[360] = 0x0b;
    await expectFormatError(bad, idxText, /wrong magic 0xced7230b at byte 360/);
  });

  it('.idx offsets past the end or misaligned', async () => {
    await expectFormatError(rec, '1\t5000\n', /offset 5000 of key 1 is past the end/);
    await expectFormatError(rec, '1\t2\n', /not 4-byte aligned/);
    await expectFormatError(rec, '1\t0\nfoo\n', /line 2/);
    await expectFormatError(rec, '1\t0\n1\t172\n', /repeats key 1/);
  });

  it('a split record whose parts are out of order', async () => {
    // Part at 344 is the end (cflag 3) of key 2: reading from there is illegal.
    await expectFormatError(rec, '2\t344\n', /starts with continuation flag 3/);
    const bad = rec.slice();
    new DataView(bad.buffer).setUint32(344 + 4, 6, true); // end part relabelled as whole
    await expectFormatError(bad, idxText, /interrupted/);
  });

  it('an IRHeader announcing more labels than the record holds', async () => {
    const bad = rec.slice();
    new DataView(bad.buffer).setUint32(8, 1000, true); // key 1's flag
    await expectFormatError(bad, idxText, /announces 1000 float32 labels/);
  });

  it('a header0 that is not an identity index', async () => {
    const bad = rec.slice();
    new DataView(bad.buffer).setFloat32(1204 + 8 + 24, Number.NaN, true);
    await expectFormatError(bad, idxText, /header0 label/);
  });
});

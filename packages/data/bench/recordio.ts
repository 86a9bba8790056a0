import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openRecordIO } from '../src/node/open-recordio';
import { writeFaceRecordIO } from '../src/node/recordio-writer';
import { createSyntheticFaces } from '../src/synthetic/synthetic-faces';

/**
 * Writes a RecordIO set of `count` real 112×112 JPEGs (synthetic faces, quality 95 like
 * insightface), then reads it back: by key in batches of concurrent reads, and streamed in
 * file order. Reports records/s for each.
 */
export async function benchRecordIO(count = 20_000): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'arcface-bench-'));
  try {
    const faces = createSyntheticFaces({ identities: 50, imagesPerIdentity: 4, seed: 1 });
    const jpegs = await Promise.all(
      Array.from({ length: faces.length }, (_, i) => sharp(faces.image(i), { raw: { width: 112, height: 112, channels: 3 } }).jpeg({ quality: 95 }).toBuffer()),
    );
    const path = join(dir, 'train.rec');
    let start = performance.now();
    await writeFaceRecordIO(
      path,
      (function* () {
        for (let i = 0; i < count; i++) yield { label: Math.floor(i / 20), image: jpegs[i % jpegs.length] as Uint8Array };
      })(),
    );
    const writeSeconds = (performance.now() - start) / 1000;
    const rec = await openRecordIO(path);
    start = performance.now();
    for (let b = 0; b < rec.imageKeys.length; b += 256) {
      await Promise.all(rec.imageKeys.slice(b, b + 256).map((k) => rec.read(k)));
    }
    const readSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    let n = 0;
    for await (const _ of rec.records()) n++;
    const streamSeconds = (performance.now() - start) / 1000;
    await rec.close();
    return { records: count, avgBytes: jpegs.reduce((s, j) => s + j.length, 0) / jpegs.length, writePerSecond: count / writeSeconds, readByKeyPerSecond: count / readSeconds, streamPerSecond: n / streamSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir } from '@arcface/testing';
import { describe, expect, it } from 'vitest';
import { evaluateVerification, retrievalMetrics, verificationDistances, warpAffine } from './index';

// Real faces (AT&T/ORL: 40 people × 10 images, 92×112 grey PGM), read from the shared data
// folder beside the repository; never copied into it. Without it these tests skip.
const orl = sharedDataDir() === undefined ? undefined : join(sharedDataDir()!, 'orl');
const available = orl !== undefined && existsSync(join(orl, 's1', '1.pgm'));

/** A binary PGM (P5, 8-bit): magic, width, height, maxval, one whitespace, then the bytes. */
function readPgm(path: string): { data: Uint8Array; width: number; height: number; channels: number } {
  const bytes = readFileSync(path);
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[i]!))) i++;
    if (bytes[i] === 0x23) {
      while (bytes[i] !== 0x0a) i++;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(bytes[i]!))) token += String.fromCharCode(bytes[i++]!);
    fields.push(token);
  }
  const [magic, width, height] = [fields[0], Number(fields[1]), Number(fields[2])];
  if (magic !== 'P5') throw new Error(`${path}: not a binary PGM (${magic})`);
  return { data: new Uint8Array(bytes.buffer, bytes.byteOffset + i + 1, width * height), width, height, channels: 1 };
}

describe.runIf(!available)('evaluation maths on real faces (ORL)', () => {
  it.skip(`skipped: no ORL faces under ${orl ?? 'the shared data folder'}`, () => {});
});

describe.runIf(available)('evaluation maths on real faces (ORL)', () => {
  // Raw pixels, shrunk 4× by warpAffine (a similarity with scale 1/4): a weak but real embedding.
  const faces = !available ? [] : Array.from({ length: 40 }, (_, s) =>
    Array.from({ length: 10 }, (_, k) => {
      const img = readPgm(join(orl!, `s${s + 1}`, `${k + 1}.pgm`));
      const small = warpAffine(img, [[0.25, 0, -0.375], [0, 0.25, -0.375]], { width: 23, height: 28 });
      return Array.from(small.data, (v) => v - 128);
    }),
  );

  it('retrieves the same person from raw pixels', async () => {
    const m = await retrievalMetrics(faces.flat(), faces.flatMap((_, s) => Array<number>(10).fill(s)));
    console.log(`ORL raw pixels: precision@1 ${m.precisionAtOne.toFixed(4)}, MAP@R ${m.mapAtR.toFixed(4)}`);
    expect(m.queries).toBe(400);
    expect(m.precisionAtOne).toBeGreaterThan(0.85);
    expect(m.mapAtR).toBeGreaterThan(0.3);
    expect(m.mapAtR).toBeLessThan(m.precisionAtOne);
  });

  it('verifies pairs from raw pixels well above chance', () => {
    // 600 pairs in 10 blocks: each block 30 same pairs then 30 different pairs, like LFW's layout.
    const a: number[][] = [];
    const b: number[][] = [];
    const same: boolean[] = [];
    for (let block = 0; block < 10; block++) {
      for (let i = 0; i < 30; i++) {
        const s = (block * 4 + i) % 40;
        a.push(faces[s]![i % 10]!);
        b.push(faces[s]![(i + 1 + block) % 10]!);
        same.push(true);
      }
      for (let i = 0; i < 30; i++) {
        const s = (block * 4 + i) % 40;
        a.push(faces[s]![i % 10]!);
        b.push(faces[(s + 1 + (i % 39)) % 40]![(i + block) % 10]!);
        same.push(false);
      }
    }
    const r = evaluateVerification(verificationDistances(a, b), same);
    console.log(
      `ORL raw pixels, 600 pairs: accuracy ${r.accuracy.mean.toFixed(4)} ± ${r.accuracy.std.toFixed(4)}, ` +
        `AUC ${r.auc.toFixed(4)}, TAR@FAR=1e-3 ${r.tarAtFar?.tar.mean.toFixed(4)}`,
    );
    expect(r.accuracy.mean).toBeGreaterThan(0.7);
    expect(r.auc).toBeGreaterThan(0.8);
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, goldenPath } from '@arcface/testing';
import { ArcfaceError } from '@arcface/core';
import { decodePgm } from './image/pgm';
import { parseLfwPairs } from './pairs/lfw-pairs';
import { parseVerificationBin } from './pickle/verification-bin';
import { readRecordIOBytes } from './recordio/recordio-reader';

/**
 * Mutates each golden file many times (byte flips, overwritten runs, truncation, inserted and
 * deleted bytes): every outcome must be a valid result or one of our typed errors — never a
 * RangeError, TypeError, hang or crash.
 */
const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('run' as const), at: fc.nat(length - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(length - 1), count: fc.integer({ min: 1, max: 8 }) }),
  );
type Mutation = ReturnType<typeof mutation> extends fc.Arbitrary<infer M> ? M : never;

function mutate(source: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes: Uint8Array = source.slice();
  for (const m of mutations) {
    const at = Math.min(m.at, bytes.length);
    if (m.kind === 'flip') {
      if (at < bytes.length) bytes[at] = m.value;
    } else if (m.kind === 'run') bytes.set(m.bytes.subarray(0, Math.max(0, bytes.length - at)), at);
    else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
    else if (m.kind === 'insert') bytes = concatBytes(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    else bytes = concatBytes(bytes.subarray(0, at), bytes.subarray(at + m.count));
  }
  return bytes;
}


const isTyped = (error: unknown): boolean => error instanceof ArcfaceError;
const RUNS = 1000;

describe('fuzzing the readers with mutated golden files', () => {
  const rec = new Uint8Array(readFileSync(goldenPath('recordio/train.rec')));
  const idx = new Uint8Array(readFileSync(goldenPath('recordio/train.idx')));

  it(`RecordIO .rec (${RUNS} mutations, read through .idx and by scanning)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(rec.length), { minLength: 1, maxLength: 4 }), fc.boolean(), async (mutations, scan) => {
        const bytes = mutate(rec, mutations);
        try {
          const reader = await readRecordIOBytes(bytes, scan ? undefined : new TextDecoder().decode(idx));
          for (const key of reader.keys) {
            const item = await reader.read(key).catch((e: unknown) => {
              if (!isTyped(e)) throw e;
              return undefined;
            });
            if (item) expect(item.image).toBeInstanceOf(Uint8Array);
          }
          for (const [start, end] of reader.identities) expect(end).toBeGreaterThanOrEqual(start);
        } catch (error) {
          if (!isTyped(error)) throw error;
        }
      }),
      { numRuns: RUNS, seed: 20241127 },
    );
  });

  it(`RecordIO .idx (${RUNS} mutations)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(idx.length), { minLength: 1, maxLength: 3 }), async (mutations) => {
        const text = new TextDecoder().decode(mutate(idx, mutations));
        try {
          const reader = await readRecordIOBytes(rec, text);
          for (const key of reader.keys) await reader.read(key).catch((e: unknown) => expect(isTyped(e)).toBe(true));
        } catch (error) {
          if (!isTyped(error)) throw error;
        }
      }),
      { numRuns: RUNS, seed: 20241128 },
    );
  });

  for (const file of ['verify_py2.bin', 'verify_py3.bin']) {
    it(`verification ${file} (${RUNS} mutations)`, () => {
      const bin = new Uint8Array(readFileSync(goldenPath('bin', file)));
      // Mutations near the structure (start, list boundaries, end) are the interesting ones;
      // a quarter land anywhere.
      const hot = (n: number) => fc.oneof(fc.nat(64), fc.integer({ min: Math.max(0, n - 64), max: n - 1 }), fc.nat(n - 1));
      const mutationNearStructure = fc.oneof(mutation(bin.length), hot(bin.length).chain((at) => mutation(bin.length).map((m) => ({ ...m, at }))));
      fc.assert(
        fc.property(fc.array(mutationNearStructure, { minLength: 1, maxLength: 3 }), (mutations) => {
          try {
            const { images, isSame } = parseVerificationBin(mutate(bin, mutations));
            expect(images.length).toBe(2 * isSame.length);
          } catch (error) {
            if (!isTyped(error)) throw error;
          }
        }),
        { numRuns: RUNS, seed: 7 },
      );
    });
  }

  it(`PGM decoding (${RUNS} mutations of a small P5 and P2)`, () => {
    const p5 = Uint8Array.from([...new TextEncoder().encode('P5\n# c\n4 3\n255\n'), ...Array.from({ length: 12 }, (_, i) => i * 20)]);
    const p2 = new TextEncoder().encode('P2\n4 3\n15\n0 1 2 3\n4 5 6 7\n8 9 10 11\n');
    for (const source of [p5, p2]) {
      fc.assert(
        fc.property(fc.array(mutation(source.length), { minLength: 1, maxLength: 3 }), (mutations) => {
          try {
            const image = decodePgm(mutate(source, mutations));
            expect(image.data.length).toBe(image.width * image.height * 3);
          } catch (error) {
            if (!isTyped(error)) throw error;
          }
        }),
        { numRuns: RUNS, seed: 11 },
      );
    }
  });

  it(`LFW pairs.txt parsing (${RUNS} mutations)`, () => {
    const text = new TextEncoder().encode('2\t2\nA\t1\t2\nB\t1\t3\nA\t1\tB\t2\nC\t4\tD\t1\nC\t1\t2\nD\t2\t3\nA\t2\tD\t3\nB\t1\tC\t1\n');
    fc.assert(
      fc.property(fc.array(mutation(text.length), { minLength: 1, maxLength: 3 }), (mutations) => {
        try {
          const parsed = parseLfwPairs(new TextDecoder().decode(mutate(text, mutations)));
          expect(parsed.pairs.length).toBe(parsed.folds * parsed.pairsPerFold * 2);
        } catch (error) {
          if (!isTyped(error)) throw error;
        }
      }),
      { numRuns: RUNS, seed: 13 },
    );
  });
});

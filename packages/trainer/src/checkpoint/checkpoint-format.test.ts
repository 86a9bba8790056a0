import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors';
import { crc32, decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';

describe('checkpoint format', () => {
  it('CRC-32 of "123456789" is the standard check value 0xCBF43926', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips metadata and arrays bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.float({ noNaN: true }), { maxLength: 20 }), { maxLength: 5 }),
        fc.string(),
        (arrays, note) => {
          const contents = { meta: { step: 7, note }, arrays: arrays.map((a, i) => ({ name: `a${i}`, shape: [a.length], data: Float32Array.from(a) })) };
          const back = decodeCheckpoint(encodeCheckpoint(contents));
          expect(back.meta).toEqual(contents.meta);
          back.arrays.forEach((a, i) => expect(Array.from(a.data)).toEqual(Array.from(contents.arrays[i]!.data)));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('any truncation or flipped byte is detected', () => {
    const bytes = encodeCheckpoint({ meta: { step: 1 }, arrays: [{ name: 'w', shape: [4], data: new Float32Array([1, 2, 3, 4]) }] });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.boolean(), (at, truncate) => {
        const damaged = truncate ? bytes.slice(0, at) : bytes.slice();
        if (!truncate) damaged[at] = (damaged[at]! ^ 0x5a) & 0xff;
        expect(() => decodeCheckpoint(damaged)).toThrow(CheckpointError);
      }),
      { numRuns: 100 },
    );
  });
});

describe('checkpoint files on disk', () => {
  it('1,000 mutated checkpoint files are refused with a CheckpointError naming the file, with no descriptor left open', async () => {
    const { rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { mutatedFiles, openDescriptors, scratchDir } = await import('@arcface/testing');
    const { readCheckpointFile } = await import('../node/file-checkpoint-store');
    const dir = scratchDir('arcface-checkpoint-fuzz-');
    try {
      const good = encodeCheckpoint({ meta: { step: 3, lr: 0.1 }, arrays: [{ name: 'w', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { name: 'b', shape: [3], data: new Float32Array(3) }] });
      const path = join(dir, 'checkpoint-000000003.arcface');
      const before = openDescriptors();
      const errors: Record<string, number> = {};
      let readBack = 0;
      for (const bytes of mutatedFiles(good, 1000, 71)) {
        writeFileSync(path, bytes);
        try {
          await readCheckpointFile(path);
          readBack++;
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          expect((error as Error).message).toContain(path);
          errors[(error as Error).name] = (errors[(error as Error).name] ?? 0) + 1;
        }
      }
      console.log(`fuzz checkpoint: ${JSON.stringify({ cases: 1000, readBack, errors, descriptors: { before, after: openDescriptors() } })}`);
      expect(openDescriptors()).toBe(before);
      // Every mutation changes the bytes, and the CRC catches every change of this size.
      expect(readBack).toBe(0);
      await expect(readCheckpointFile(join(dir, 'nope.arcface'))).rejects.toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file whose checksum is right but whose header is not is refused, not half-read', () => {
    const good = encodeCheckpoint({ meta: { step: 1 }, arrays: [{ name: 'w', shape: [2], data: new Float32Array(2) }] });
    const reseal = (edit: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      edit(b);
      new DataView(b.buffer).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
      return b;
    };
    const header = (b: Uint8Array, from: string, to: string) => b.set(new TextEncoder().encode(new TextDecoder().decode(b.subarray(16, 16 + new DataView(b.buffer).getUint32(12, true))).replace(from, to)), 16);
    expect(() => decodeCheckpoint(reseal((b) => header(b, '"arrays"', '"arraya"')), 'x.arcface')).toThrow(/'x.arcface': its header lacks meta and arrays/);
    expect(() => decodeCheckpoint(reseal((b) => header(b, '{"meta"', '["meta"')), 'x.arcface')).toThrow(/header is not JSON/);
    expect(() => decodeCheckpoint(reseal((b) => header(b, '"shape":[2]', '"shape":[3]')), 'x.arcface')).toThrow(/shape \[3\] but 2 values/);
    expect(() => decodeCheckpoint(reseal((b) => new DataView(b.buffer).setUint32(12, 9999, true)), 'x.arcface')).toThrow(/header length 9999 runs past/);
  });
});

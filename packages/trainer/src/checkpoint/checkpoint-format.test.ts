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

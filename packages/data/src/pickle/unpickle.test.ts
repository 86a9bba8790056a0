import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenPath, readGolden } from '@arcface/testing';
import { PickleFormatError, UnsafePickleError, VerificationBinError } from '../errors';
import { PickleGlobal, PickleTuple } from './pickle-value';
import { unpickle } from './unpickle';
import { parseVerificationBin } from './verification-bin';

const hex = (s: string): Uint8Array => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Expected {
  N: number;
  num_images: number;
  issame: boolean[];
  files: { py2: string; py3: string };
  py2_sha256: string;
  py3_sha256: string;
  image_len: number[];
  sha256: string[];
}
const expected = readGolden<Expected>('bin/expected.json');

describe('unpickle', () => {
  it('reads the worked example ([b"\\xff\\xd8", b"\\xff\\xd9"], [True, False])', () => {
    const bytes = hex('80 02 5d 71 00 28 55 02 ff d8 71 01 55 02 ff d9 71 02 65 5d 71 03 28 88 89 65 86 71 04 2e');
    const value = unpickle(bytes);
    expect(value).toBeInstanceOf(PickleTuple);
    const [bins, flags] = (value as PickleTuple).items;
    expect(bins).toEqual([hex('ff d8'), hex('ff d9')]);
    expect(flags).toEqual([true, false]);
    // Two images make one pair, so two flags are one too many for a verification set.
    expect(() => parseVerificationBin(bytes)).toThrow(/2 images for 2 pairs/);
  });

  it('reads ints, floats, strings, dicts and the memo (pickle.dumps, protocol 2 and 4)', () => {
    // pickle.dumps({'a': [1, -2, 300, 70000, 2**70, 1.5, None, 'é'], 'b': ()}, protocol=2)
    const p2 = hex(
      '80 02 7d 71 00 28 58 01 00 00 00 61 71 01 5d 71 02 28 4b 01 4a fe ff ff ff 4d 2c 01 4a 70 11 01 00 8a 09 00 00 00 00 00 00 00 00 40' +
        ' 47 3f f8 00 00 00 00 00 00 4e 58 02 00 00 00 c3 a9 71 03 65 58 01 00 00 00 62 71 04 29 75 2e',
    );
    const expectedDict = new Map<unknown, unknown>([
      ['a', [1, -2, 300, 70000, 2n ** 70n, 1.5, null, 'é']],
      ['b', new PickleTuple([])],
    ]);
    expect(unpickle(p2)).toEqual(expectedDict);
    // Memo reuse: x = [1]; pickle.dumps((x, x), protocol=4) shares one list through BINGET/MEMOIZE.
    const shared = unpickle(hex('80 04 95 0a 00 00 00 00 00 00 00 5d 94 4b 01 61 68 00 86 94 2e')) as PickleTuple;
    expect(shared.items[0]).toBe(shared.items[1]);
  });

  it('refuses a pickle that would call os.system, before anything runs', () => {
    // pickle.dumps of an object whose __reduce__ returns (os.system, ('echo pwned',)), protocol 0 and 2.
    const p0 = ascii('cposix\nsystem\np0\n(Vecho pwned\np1\ntp2\nRp3\n.');
    expect(() => unpickle(p0)).toThrow(UnsafePickleError);
    expect(() => unpickle(p0)).toThrow(/GLOBAL at byte 0/);
    const p2 = ascii('\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.');
    expect(() => unpickle(p2)).toThrow(/GLOBAL at byte 2/);
    for (const [op, name] of [
      [0x93, 'STACK_GLOBAL'],
      [0x52, 'REDUCE'],
      [0x62, 'BUILD'],
      [0x69, 'INST'],
      [0x6f, 'OBJ'],
      [0x81, 'NEWOBJ'],
      [0x92, 'NEWOBJ_EX'],
      [0x82, 'EXT1'],
      [0x51, 'BINPERSID'],
    ] as const) {
      expect(() => unpickle(Uint8Array.from([0x80, 0x04, 0x4e, op, 0x2e]))).toThrow(new RegExp(`${name} at byte 3`));
    }
  });

  it('rejects unbalanced MARKs and stack misuse', () => {
    expect(() => unpickle(hex('80 02 28 4e 2e'))).toThrow(/MARK still open/);
    expect(() => unpickle(hex('80 02 5d 65 2e'))).toThrow(/no MARK open/);
    expect(() => unpickle(hex('80 02 86 2e'))).toThrow(/stack underflow/);
    expect(() => unpickle(hex('80 02 28 86 2e'))).toThrow(/stack underflow/);
    expect(() => unpickle(hex('80 02 4e 4e 2e'))).toThrow(/2 values on the stack/);
    expect(() => unpickle(hex('80 02 68 07 2e'))).toThrow(/memo key 7/);
    expect(() => unpickle(hex('80 02 4e 28 4b 01 65 2e'))).toThrow(/APPENDS needs a list/);
  });

  it('rejects truncated input and unknown opcodes with a PickleFormatError', () => {
    for (const bytes of [hex('80 02 54 ff ff 00 00 00'), hex('80 02 5d'), hex(''), hex('80 02 4a 01'), hex('80 02 54 ff ff ff ff')]) {
      expect(() => unpickle(bytes)).toThrow(PickleFormatError);
    }
    expect(() => unpickle(hex('80 02 49 2e'))).toThrow(/unsupported pickle opcode 0x49/);
    expect(() => unpickle(hex('80 09 4e 2e'))).toThrow(/protocol 9/);
  });
});

describe('verification .bin golden files', () => {
  for (const variant of ['py2', 'py3'] as const) {
    it(`reads ${variant}: every image's bytes and every flag`, () => {
      const bytes = new Uint8Array(readFileSync(goldenPath('bin', expected.files[variant])));
      expect(sha256(bytes)).toBe(variant === 'py2' ? expected.py2_sha256 : expected.py3_sha256);
      const { images, isSame } = parseVerificationBin(bytes);
      expect(images.length).toBe(expected.num_images);
      expect(isSame).toEqual(expected.issame);
      expect(images.map((b) => b.length)).toEqual(expected.image_len);
      expect(images.map(sha256)).toEqual(expected.sha256);
    });
  }

  it('the py2 file uses BINSTRING and SHORT_BINSTRING with batched APPENDS', () => {
    const bytes = new Uint8Array(readFileSync(goldenPath('bin', expected.files.py2)));
    expect(bytes[0]).toBe(0x80);
    expect(bytes[1]).toBe(0x02);
    expect(expected.num_images).toBeGreaterThan(1000);
  });

  it('rejects data that is not (bins, issame)', () => {
    expect(() => parseVerificationBin(hex('80 02 4e 2e'))).toThrow(VerificationBinError);
    // ([b'\xff'], [True]): one image for one pair.
    expect(() => parseVerificationBin(hex('80 02 5d 55 01 ff 61 5d 88 61 86 2e'))).toThrow(/1 images for 1 pairs/);
    expect(() => parseVerificationBin(hex('80 02 5d 4b 01 61 5d 86 2e'))).toThrow(/image 0 is number/);
    // ([{1}], []): a set where an image should be is named as one, not as '[object Object]'.
    expect(() => parseVerificationBin(hex('80 04 5d 8f 28 4b 01 90 61 5d 86 2e'))).toThrow(/image 0 is set\(1\)/);
  });
});

describe('unpickle with caller-allowed globals (PyTorch-style)', () => {
  // pickle.dumps(collections.OrderedDict(a=1), protocol=2) with a persistent id and BUILD added by hand
  const ordered = new PickleGlobal('collections OrderedDict', () => new Map());
  const enc = (s: string) => Array.from(new TextEncoder().encode(s));

  it('GLOBAL + REDUCE call only the listed function; other names stay refused', () => {
    // PROTO 2, GLOBAL 'collections\nOrderedDict\n', EMPTY_TUPLE, REDUCE, STOP
    const bytes = new Uint8Array([0x80, 2, 0x63, ...enc('collections\nOrderedDict\n'), 0x29, 0x52, 0x2e]);
    expect(unpickle(bytes, { globals: { 'collections OrderedDict': ordered } })).toEqual(new Map());
    expect(() => unpickle(bytes)).toThrow(UnsafePickleError);
    const os = new Uint8Array([0x80, 2, 0x63, ...enc('os\nsystem\n'), 0x8c, 2, ...enc('ls'), 0x85, 0x52, 0x2e]);
    expect(() => unpickle(os, { globals: { 'collections OrderedDict': ordered } })).toThrow(/'os system' is not an allowed global/);
  });

  it('REDUCE of a value that is not an allowed global is refused', () => {
    // EMPTY_LIST, EMPTY_TUPLE, REDUCE
    const bytes = new Uint8Array([0x80, 2, 0x5d, 0x29, 0x52, 0x2e]);
    expect(() => unpickle(bytes, { globals: {} })).toThrow(UnsafePickleError);
  });

  it('BINPERSID and BUILD go to the caller’s handlers, and are refused without them', () => {
    // SHORT_BINUNICODE 'k', BINPERSID, STOP
    const pid = new Uint8Array([0x80, 2, 0x8c, 1, ...enc('k'), 0x51, 0x2e]);
    expect(unpickle(pid, { persistentLoad: (p) => `storage ${p as string}` })).toBe('storage k');
    expect(() => unpickle(pid)).toThrow(UnsafePickleError);
    // EMPTY_DICT, EMPTY_DICT, BUILD
    const build = new Uint8Array([0x80, 2, 0x7d, 0x7d, 0x62, 0x2e]);
    expect(unpickle(build, { build: (target) => target })).toEqual(new Map());
    expect(() => unpickle(build)).toThrow(UnsafePickleError);
  });
});

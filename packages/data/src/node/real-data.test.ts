import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@arcface/testing';
import { MissingFileError } from '../errors';
import { decodeImage } from './decode-image';
import { findDuplicateImages, openImageFolder } from './image-folder';
import { readLfwPairs } from './lfw-pairs-file';

const data = sharedDataDir();
if (data === undefined) {
  console.log('real-data tests skipped: the shared face sets (../shared/data or $ARCFACE_SHARED_DATA) are not present');
}

describe.skipIf(data === undefined)('real face sets', () => {
  const root = data as string;

  it('ORL: 40 identities × 10 PGM images of 92×112', async () => {
    const orl = await openImageFolder(join(root, 'orl'));
    expect([orl.numClasses, orl.length]).toEqual([40, 400]);
    for (let c = 0; c < 40; c++) expect(Array.from({ length: 10 }, (_, k) => orl.label(c * 10 + k))).toEqual(new Array(10).fill(c));
    const first = await orl.loadImage(0);
    expect([first.width, first.height]).toEqual([92, 112]);
    // Grey: every pixel has R = G = B, and the face is not blank.
    let spread = 0;
    for (let i = 0; i < first.data.length; i += 3) {
      expect(first.data[i + 1]).toBe(first.data[i]);
      spread = Math.max(spread, first.data[i] as number);
    }
    expect(spread).toBeGreaterThan(100);
    expect((await orl.loadImage(399)).data.length).toBe(92 * 112 * 3);
  });

  it("Yale: 15 identities from file names, GIFs decoded, the 9 byte-identical pairs reported", async () => {
    const yale = await openImageFolder(join(root, 'yale'), { identityFromName: (name) => name.split('.')[0] as string, size: 112 });
    expect([yale.numClasses, yale.length]).toEqual([15, 164]);
    const img = await yale.loadImage(0);
    expect([img.width, img.height]).toEqual([112, 112]);
    const original = await openImageFolder(join(root, 'yale'), { identityFromName: (name) => name.split('.')[0] as string });
    expect([(await original.loadImage(5)).width, (await original.loadImage(5)).height]).toEqual([320, 243]);
    const duplicates = await findDuplicateImages(yale);
    const named = duplicates.map((g) => g.map((i) => yale.files[i]));
    console.log(`Yale duplicates (${duplicates.length}): ${named.map((g) => g.join(' = ')).join('; ')}`);
    expect(duplicates.length).toBe(9);
    for (const group of duplicates) {
      expect(group.length).toBe(2);
      expect(yale.label(group[0] as number)).toBe(yale.label(group[1] as number));
    }
    expect(named).toContainEqual(['subject02.noglasses', 'subject02.normal']);
  });

  it('LFW: pairs.txt has 6000 pairs in 10 folds; the sample JPEGs decode', async () => {
    const lfw = join(root, 'lfw');
    const { folds, pairsPerFold, pairs } = await readLfwPairs(join(lfw, 'pairs.txt'));
    expect([folds, pairsPerFold, pairs.length]).toEqual([10, 300, 6000]);
    expect(pairs[0]).toEqual({ first: { name: 'Abel_Pacheco', index: 1 }, second: { name: 'Abel_Pacheco', index: 4 }, isSame: true, fold: 0 });
    expect(pairs.filter((p) => p.isSame).length).toBe(3000);
    expect(new Set(pairs.flatMap((p) => [p.first.name, p.second.name])).size).toBe(4281);
    expect(Math.max(...pairs.flatMap((p) => [p.first.index, p.second.index]))).toBe(482);
    // Only two images ship with the sample: checking the pairs against them names the rest.
    await expect(readLfwPairs(join(lfw, 'pairs.txt'), { imagesDir: join(lfw, 'sample') })).rejects.toBeInstanceOf(MissingFileError);
    const dir = join(lfw, 'sample', 'Anthony_Hopkins');
    for (const file of readdirSync(dir)) {
      const full = await decodeImage(readFileSync(join(dir, file)));
      expect([full.width, full.height]).toEqual([250, 250]);
      expect((await decodeImage(readFileSync(join(dir, file)), { size: 112 })).data.length).toBe(112 * 112 * 3);
    }
  });
});

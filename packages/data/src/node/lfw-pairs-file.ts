import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MissingFileError, nameInput } from '../errors';
import { type LfwPairs, lfwImagePath, parseLfwPairs } from '../pairs/lfw-pairs';

/**
 * Reads LFW's `pairs.txt`. With `imagesDir`, every image it names
 * (`imagesDir/name/name_%04d.jpg`) must exist, or {@link MissingFileError} lists the missing ones.
 *
 * @example
 * const { pairs, folds } = await readLfwPairs('lfw/pairs.txt', { imagesDir: 'lfw/images' });
 */
export async function readLfwPairs(pairsPath: string, options: { imagesDir?: string } = {}): Promise<LfwPairs> {
  const text = await readFile(pairsPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MissingFileError([pairsPath]);
    throw error;
  });
  let parsed: LfwPairs;
  try {
    parsed = parseLfwPairs(text);
  } catch (error) {
    throw nameInput(error, pairsPath, 'fix that line (fields are tab-separated: name, i, j or name1, i, name2, j) or use the original pairs.txt');
  }
  if (options.imagesDir !== undefined) {
    const dir = options.imagesDir;
    // The first line naming each image, so a missing file can be traced to its pair.
    const lineOf = new Map<string, number>();
    parsed.pairs.forEach((p, k) => {
      for (const ref of [p.first, p.second]) if (!lineOf.has(lfwImagePath(ref))) lineOf.set(lfwImagePath(ref), k + 2);
    });
    const missing: string[] = [];
    const lines: number[] = [];
    for (const [rel, line] of lineOf) {
      await access(join(dir, rel)).catch(() => {
        missing.push(join(dir, rel));
        lines.push(line);
      });
    }
    if (missing.length > 0) {
      const shown = lines.slice(0, 5).join(', ');
      throw nameInput(
        new MissingFileError(missing),
        pairsPath,
        `named on line${lines.length > 1 ? 's' : ''} ${shown}${lines.length > 5 ? ', …' : ''}; pass the image folder the pairs refer to`,
      );
    }
  }
  return parsed;
}

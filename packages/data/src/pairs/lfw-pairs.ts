import { PairsFormatError } from '../errors';

/** One side of a pair: a person and the 1-based number of their image. */
export interface LfwImageRef {
  name: string;
  index: number;
}

export interface LfwPair {
  first: LfwImageRef;
  second: LfwImageRef;
  isSame: boolean;
  fold: number;
}

export interface LfwPairs {
  folds: number;
  /** Matched (and, separately, mismatched) pairs per fold. */
  pairsPerFold: number;
  pairs: LfwPair[];
}

/**
 * Parses LFW's `pairs.txt`: a header `folds\tn`, then per fold n matched lines
 * `name\ti\tj` followed by n mismatched lines `name1\ti\tname2\tj` (indices 1-based).
 * CRLF line endings and trailing blank lines are tolerated; anything else out of place throws
 * {@link PairsFormatError} naming the line.
 *
 * @example
 * const { pairs } = parseLfwPairs(text); // 6000 pairs in 10 folds for the standard file
 */
export function parseLfwPairs(text: string): LfwPairs {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const folds = Number(header[0]);
  const perFold = Number(header[1]);
  if (header.length !== 2 || !Number.isInteger(folds) || !Number.isInteger(perFold) || folds < 1 || perFold < 1) {
    throw new PairsFormatError(`pairs.txt line 1 must be "folds<TAB>pairs per fold", got ${JSON.stringify(lines[0] ?? '')}`);
  }
  const expected = 1 + folds * 2 * perFold;
  if (lines.length !== expected) {
    throw new PairsFormatError(`pairs.txt with header ${folds} x ${perFold} needs ${expected - 1} pair lines, found ${lines.length - 1}`);
  }
  const index = (field: string | undefined, lineNo: number): number => {
    const n = Number(field);
    if (field === undefined || !/^\d+$/.test(field) || n < 1) throw new PairsFormatError(`pairs.txt line ${lineNo}: image number ${JSON.stringify(field)} is not a positive integer`);
    return n;
  };
  const name = (field: string | undefined, lineNo: number): string => {
    if (field === undefined || field.length === 0 || field.includes('/') || field.includes('\\') || field === '.' || field === '..') {
      throw new PairsFormatError(`pairs.txt line ${lineNo}: ${JSON.stringify(field)} is not a person's name`);
    }
    return field;
  };
  const pairs: LfwPair[] = [];
  for (let f = 0; f < folds; f++) {
    for (let k = 0; k < 2 * perFold; k++) {
      const lineNo = 2 + f * 2 * perFold + k;
      const fields = (lines[lineNo - 1] as string).split('\t');
      const same = k < perFold;
      if (same) {
        if (fields.length !== 3) throw new PairsFormatError(`pairs.txt line ${lineNo}: a matched pair has 3 fields, got ${fields.length}`);
        const person = name(fields[0], lineNo);
        pairs.push({ first: { name: person, index: index(fields[1], lineNo) }, second: { name: person, index: index(fields[2], lineNo) }, isSame: true, fold: f });
      } else {
        if (fields.length !== 4) throw new PairsFormatError(`pairs.txt line ${lineNo}: a mismatched pair has 4 fields, got ${fields.length}`);
        pairs.push({
          first: { name: name(fields[0], lineNo), index: index(fields[1], lineNo) },
          second: { name: name(fields[2], lineNo), index: index(fields[3], lineNo) },
          isSame: false,
          fold: f,
        });
      }
    }
  }
  return { folds, pairsPerFold: perFold, pairs };
}

/** The relative path of an LFW image, `name/name_%04d.jpg` (facenet's `get_paths`). */
export function lfwImagePath(ref: LfwImageRef): string {
  return `${ref.name}/${ref.name}_${String(ref.index).padStart(4, '0')}.jpg`;
}

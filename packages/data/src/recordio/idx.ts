import { RecordIOFormatError } from '../errors';

/** One `.idx` line: a record key and the byte offset of its first part's magic in the `.rec`. */
export interface IdxEntry {
  key: number;
  offset: number;
}

/**
 * Parses an `.idx` file (`"<key>\t<offset>\n"` per record, as `MXIndexedRecordIO.write_idx`
 * writes it). Lines keep file order, which is write order, not key order. Blank lines are skipped;
 * a malformed line or a repeated key throws {@link RecordIOFormatError}.
 */
export function parseIdx(text: string): IdxEntry[] {
  const entries: IdxEntry[] = [];
  const seen = new Set<number>();
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (line.length === 0) continue;
    const match = /^(\d{1,16})\s+(\d{1,16})$/.exec(line);
    if (!match) throw new RecordIOFormatError(`.idx line ${lineNo} is not "key<TAB>offset": ${JSON.stringify(line.slice(0, 80))}`);
    const key = Number(match[1]);
    const offset = Number(match[2]);
    if (!Number.isSafeInteger(key) || !Number.isSafeInteger(offset)) {
      throw new RecordIOFormatError(`.idx line ${lineNo} has a number beyond 2^53: ${JSON.stringify(line)}`);
    }
    if (seen.has(key)) throw new RecordIOFormatError(`.idx line ${lineNo} repeats key ${key}`);
    seen.add(key);
    entries.push({ key, offset });
  }
  return entries;
}

/** Formats entries as an `.idx` file, one `key\toffset\n` line each, in the given order. */
export function formatIdx(entries: Iterable<IdxEntry>): string {
  let out = '';
  for (const { key, offset } of entries) out += `${key}\t${offset}\n`;
  return out;
}

import { readFile, stat } from 'node:fs/promises';
import { MissingFileError, nameInput } from '../errors';
import { type IdxEntry, parseIdx } from '../recordio/idx';
import { RecordIOReader } from '../recordio/recordio-reader';
import { openFileSource } from './file-source';

/** `train.rec` → `train.idx`, as MXNet and insightface name the index. */
export function defaultIdxPath(recPath: string): string {
  return recPath.replace(/\.rec$/i, '') + '.idx';
}

/**
 * Opens an MXNet RecordIO set for random access by key. The `.idx` beside the `.rec` is used by
 * default; pass `idxPath: null` to scan the `.rec` instead (keys then come from each IRHeader id).
 * Records are read through a file handle on demand: the `.rec` is never loaded whole.
 *
 * For the insightface layout (record 0 with label [A, B)), `imageKeys` are the image records
 * and `identities[c]` the `[start, end)` key range of class c.
 *
 * @example
 * const rec = await openRecordIO('faces_emore/train.rec');
 * const first = await rec.read(rec.imageKeys[0]); // { flag: 0, label: 0, id: 1, id2: 0, image: <JPEG> }
 * await rec.close();
 */
export async function openRecordIO(recPath: string, idxPath?: string | null): Promise<RecordIOReader> {
  const idxFile = idxPath === null ? undefined : (idxPath ?? defaultIdxPath(recPath));
  let entries: IdxEntry[] | undefined;
  if (idxFile !== undefined) {
    const exists = await stat(idxFile).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) throw new MissingFileError([idxFile]);
    try {
      entries = parseIdx(await readFile(idxFile, 'utf8'));
    } catch (error) {
      throw nameInput(error, idxFile, "rebuild the .idx with the .rec it belongs to, or pass idxPath: null to scan the .rec instead");
    }
  }
  const source = await openFileSource(recPath);
  try {
    return await RecordIOReader.open(source, entries);
  } catch (error) {
    await source.close?.();
    throw nameInput(error, recPath, `the .rec is damaged or does not match ${idxFile === undefined ? 'its records' : `'${idxFile}'`}; rebuild or re-download it`);
  }
}

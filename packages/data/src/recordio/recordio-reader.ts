import { RecordIOFormatError, RecordNotFoundError } from '../errors';
import { type ByteSource, memorySource } from './byte-source';
import { checkPartSequence, joinParts, parsePartHeader, PartFlag, RECORDIO_MAX_LENGTH } from './framing';
import { type IdxEntry, parseIdx } from './idx';
import { type RecordIOItem, recordClassLabel, unpackRecordPayload } from './ir-header';

/** Names the file (and record) in a typed error raised while reading `source`: `'train.rec' record 17: …`. */
function nameSource(error: unknown, source: ByteSource, record?: string): unknown {
  if (!(error instanceof RecordIOFormatError || error instanceof RecordNotFoundError)) return error;
  const where = [source.name === undefined ? undefined : `'${source.name}'`, record].filter((w) => w !== undefined).join(' ');
  if (where.length > 0 && !error.message.startsWith(where)) error.message = `${where}: ${error.message}`;
  return error;
}

/** A key range `[start, end)` of image records that belong to one identity (insightface layout). */
export type IdentityRange = readonly [start: number, end: number];

/** Float32 represents every integer up to 2^24 exactly; above it, labels that store keys can round. */
const FLOAT32_EXACT_LIMIT = 1 << 24;

/** Reads this many bytes at a record's offset first: one read covers a typical 112×112 JPEG. */
const FIRST_READ = 16 * 1024;

/**
 * An indexed MXNet RecordIO set (see `openRecordIO` in `@arcface/data/node` for files, and
 * {@link readRecordIOBytes} for bytes in memory). Records are read on demand; nothing but the
 * index and, for the insightface layout, the identity ranges is held in memory.
 */
export class RecordIOReader {
  /** Every key of the index, in `.idx` order (write order, not key order). */
  readonly keys: readonly number[];
  /**
   * Keys of the image records. insightface layout: the index's keys in [1, A) of header0's
   * label [A, B), ascending; otherwise (sets made by `im2rec`, no header0) every key in `.idx` order.
   */
  readonly imageKeys: readonly number[];
  /** insightface layout: identity i's image keys as `[start, end)`; empty for other sets. */
  readonly identities: readonly IdentityRange[];
  /** Record 0 of the insightface layout (flag 2, label [A, B]); undefined for `im2rec` sets. */
  readonly header0: RecordIOItem | undefined;
  private readonly offsets: Map<number, number>;

  private constructor(
    private readonly source: ByteSource,
    entries: readonly IdxEntry[],
    layout: { imageKeys: number[]; identities: IdentityRange[]; header0: RecordIOItem | undefined },
  ) {
    this.keys = entries.map((e) => e.key);
    this.offsets = new Map(entries.map((e) => [e.key, e.offset]));
    this.imageKeys = layout.imageKeys;
    this.identities = layout.identities;
    this.header0 = layout.header0;
  }

  /**
   * Opens a set over any byte source. With `idx` (entries or `.idx` text) offsets come from it;
   * without, the `.rec` is scanned once, part header by part header, and each record's key is
   * its IRHeader `id` (as both insightface and `im2rec` write it).
   */
  static async open(source: ByteSource, idx?: string | readonly IdxEntry[]): Promise<RecordIOReader> {
    const entries = idx === undefined ? await scanIndex(source) : typeof idx === 'string' ? parseIdx(idx) : idx;
    for (const { key, offset } of entries) {
      if (offset + 8 > source.size) {
        throw new RecordIOFormatError(`.idx offset ${offset} of key ${key} is past the end of the .rec (${source.size} bytes)`);
      }
      if (offset % 4 !== 0) throw new RecordIOFormatError(`.idx offset ${offset} of key ${key} is not 4-byte aligned`);
    }
    const offsets = new Map(entries.map((e) => [e.key, e.offset]));
    const readItem = async (key: number): Promise<RecordIOItem | undefined> => {
      const offset = offsets.get(key);
      // Layout records are small (header0 and identity records are 40 bytes): read little.
      return offset === undefined ? undefined : unpackRecordPayload(await readPayloadAt(source, offset, 64));
    };
    const layout = await detectLayout(entries, readItem);
    return new RecordIOReader(source, entries, layout);
  }

  /** Number of records in the index. */
  get size(): number {
    return this.keys.length;
  }

  has(key: number): boolean {
    return this.offsets.has(key);
  }

  /** The raw payload of record `key` (IRHeader, labels, image), split parts already joined. */
  async readPayload(key: number): Promise<Uint8Array> {
    const offset = this.offsets.get(key);
    if (offset === undefined) throw nameSource(new RecordNotFoundError(key), this.source);
    try {
      return await readPayloadAt(this.source, offset);
    } catch (error) {
      throw nameSource(error, this.source, `record ${key}`);
    }
  }

  /**
   * Reads and unpacks record `key`.
   *
   * @example
   * const rec = await openRecordIO('faces_emore/train.rec');
   * const { label, image } = await rec.read(rec.imageKeys[0]);
   */
  async read(key: number): Promise<RecordIOItem> {
    const payload = await this.readPayload(key);
    try {
      return unpackRecordPayload(payload);
    } catch (error) {
      throw nameSource(error, this.source, `record ${key}`);
    }
  }

  /** The class id of image record `key`: `label`, or `label[0]` when the label is an array. */
  async readLabel(key: number): Promise<number> {
    return recordClassLabel(await this.read(key));
  }

  /**
   * Every record in file order through a sliding window of `chunkSize` bytes, so a whole set
   * streams with bounded memory. Keys come from the index (records it does not list are skipped).
   */
  async *records(chunkSize = 1 << 20): AsyncGenerator<{ key: number; item: RecordIOItem }> {
    const keyAt = new Map<number, number>();
    for (const [key, offset] of this.offsets) keyAt.set(offset, key);
    const sorted = [...keyAt.keys()].sort((a, b) => a - b);
    const window = new ReadWindow(this.source, chunkSize);
    for (const offset of sorted) {
      const key = keyAt.get(offset) as number;
      let item: RecordIOItem;
      try {
        item = unpackRecordPayload(await readPayloadWith(offset, this.source.size, (at, n) => window.read(at, n)));
      } catch (error) {
        throw nameSource(error, this.source, `record ${key}`);
      }
      yield { key, item };
    }
  }

  /** Releases the file handle (no-op for bytes in memory). */
  async close(): Promise<void> {
    await this.source.close?.();
  }
}

/**
 * Opens a RecordIO set held in memory (browser, tests): `.rec` bytes and optional `.idx` text.
 *
 * @example
 * const rec = await readRecordIOBytes(new Uint8Array(await (await fetch('train.rec')).arrayBuffer()), idxText);
 */
export function readRecordIOBytes(rec: Uint8Array, idx?: string): Promise<RecordIOReader> {
  return RecordIOReader.open(memorySource(rec), idx);
}

/** Reads one logical record starting at `offset`, following split parts (cflag 1, 2…, 3). */
export function readPayloadAt(source: ByteSource, offset: number, firstRead = FIRST_READ): Promise<Uint8Array> {
  return readPayloadWith(offset, source.size, (at, n) => source.read(at, n), firstRead);
}

async function readPayloadWith(
  offset: number,
  fileSize: number,
  read: (offset: number, length: number) => Promise<Uint8Array>,
  firstRead = FIRST_READ,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = offset;
  let previous: number | undefined;
  for (;;) {
    const chunk = await read(at, Math.min(firstRead, fileSize - at));
    const head = parsePartHeader(chunk, at, fileSize);
    checkPartSequence(previous, head.cflag, at);
    const inChunk = 8 + head.length <= chunk.length;
    const data = inChunk ? chunk.subarray(8, 8 + head.length) : await read(head.dataOffset, head.length);
    if (data.length !== head.length) throw new RecordIOFormatError(`truncated record data at byte ${head.dataOffset}`);
    parts.push(data);
    total += data.length + 4;
    if (total > RECORDIO_MAX_LENGTH) throw new RecordIOFormatError(`split record at byte ${offset} grows past 2^29 bytes`);
    if (head.cflag === PartFlag.Whole || head.cflag === PartFlag.End) break;
    previous = head.cflag;
    at = head.nextOffset;
    if (at + 8 > fileSize) throw new RecordIOFormatError(`split record at byte ${offset} is cut off at the end of the file`);
  }
  // Copy out of the read chunk, so a caller holding the image does not pin the whole chunk.
  return parts.length === 1 ? (parts[0] as Uint8Array).slice() : joinParts(parts);
}

/** Builds an index by walking the part headers from byte 0; each record's key is its IRHeader id. */
async function scanIndex(source: ByteSource): Promise<IdxEntry[]> {
  const entries: IdxEntry[] = [];
  const seen = new Set<number>();
  const window = new ReadWindow(source, 1 << 20);
  let at = 0;
  while (at < source.size) {
    const start = at;
    let previous: number | undefined;
    let first: Uint8Array | undefined;
    for (;;) {
      const head = parsePartHeader(await window.read(at, 8), at, source.size);
      checkPartSequence(previous, head.cflag, at);
      first ??= await window.read(head.dataOffset, Math.min(24, head.length));
      at = head.nextOffset;
      if (head.cflag === PartFlag.Whole || head.cflag === PartFlag.End) break;
      previous = head.cflag;
      if (at >= source.size) throw new RecordIOFormatError(`split record at byte ${start} is cut off at the end of the file`);
    }
    if (first.length < 24) throw new RecordIOFormatError(`record at byte ${start} is shorter than the 24-byte IRHeader`);
    const id = Number(new DataView(first.buffer, first.byteOffset, 24).getBigUint64(8, true));
    if (!Number.isSafeInteger(id) || seen.has(id)) {
      throw new RecordIOFormatError(`record at byte ${start} has id ${id}, which cannot serve as a unique key; pass the .idx`);
    }
    seen.add(id);
    entries.push({ key: id, offset: start });
  }
  return entries;
}

/** Buffers a window of the source so sequential small reads cost one large read each. */
class ReadWindow {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  constructor(
    private readonly source: ByteSource,
    private readonly chunkSize: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.source.size);
    if (offset < this.start || end > this.start + this.bytes.length) {
      if (length > this.chunkSize) return this.source.read(offset, length);
      this.start = offset;
      this.bytes = await this.source.read(offset, Math.min(this.chunkSize, this.source.size - offset));
    }
    return this.bytes.subarray(offset - this.start, end - this.start);
  }
}

/** True for an insightface identity record: flag ≥ 2 ([start, end) labels) and no image. */
function isIdentityRecord(item: RecordIOItem): boolean {
  return item.flag >= 2 && item.image.length === 0;
}

/** Spacing of float32 values near `x` (1 below 2^24, doubling with each power of two above). */
function float32Ulp(x: number): number {
  if (x < FLOAT32_EXACT_LIMIT) return 0;
  return 2 ** (Math.floor(Math.log2(x)) - 23);
}

async function detectLayout(
  entries: readonly IdxEntry[],
  readItem: (key: number) => Promise<RecordIOItem | undefined>,
): Promise<{ imageKeys: number[]; identities: IdentityRange[]; header0: RecordIOItem | undefined }> {
  const header0 = await readItem(0);
  // MXFaceDataset: `if header0.flag > 0` the set has the insightface identity index.
  if (header0 === undefined || header0.flag === 0 || typeof header0.label === 'number') {
    return { imageKeys: entries.map((e) => e.key), identities: [], header0: undefined };
  }
  const [a, b] = header0.label;
  if (a === undefined || b === undefined || !Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a) {
    throw new RecordIOFormatError(`header0 label ${JSON.stringify(header0.label)} is not an identity index [A, B) with 1 <= A <= B`);
  }
  const keys = entries.map((e) => e.key).filter((k) => k !== 0);
  // Above 2^24 the float32 A and B may be off by up to one ulp: settle each ambiguous key by
  // looking at the record itself (images have flag 0, identity records flag 2 and no image).
  const ulpA = float32Ulp(a);
  const ulpB = float32Ulp(b);
  const imageKeys: number[] = [];
  const identityKeys: number[] = [];
  for (const key of keys) {
    const nearA = key >= a - ulpA && key < a + ulpA;
    const nearB = key >= b - ulpB && key < b + ulpB;
    if (nearA || nearB) {
      const item = (await readItem(key)) as RecordIOItem;
      if (isIdentityRecord(item)) {
        if (key >= a - ulpA) identityKeys.push(key);
      } else if (key < a + ulpA) imageKeys.push(key);
    } else if (key < a) imageKeys.push(key);
    else if (key < b) identityKeys.push(key);
  }
  imageKeys.sort((x, y) => x - y);
  identityKeys.sort((x, y) => x - y);
  const identities: IdentityRange[] = [];
  // Identity records are tiny: read them many at a time so file reads overlap.
  const items: RecordIOItem[] = [];
  for (let i = 0; i < identityKeys.length; i += 256) {
    // allSettled, not all: on a bad record no read may still be in flight when the caller closes the file.
    const settled = await Promise.allSettled(identityKeys.slice(i, i + 256).map(readItem));
    for (const result of settled) {
      if (result.status === 'rejected') throw result.reason;
      items.push(result.value as RecordIOItem);
    }
  }
  for (const [i, key] of identityKeys.entries()) {
    const label = (items[i] as RecordIOItem).label;
    const start = typeof label === 'number' ? undefined : label[0];
    const end = typeof label === 'number' ? undefined : label[1];
    if (start === undefined || end === undefined || !Number.isInteger(start) || !Number.isInteger(end) || end < start) {
      throw new RecordIOFormatError(`identity record ${key} has label ${JSON.stringify(label)}, not a key range [start, end)`);
    }
    identities.push([start, end]);
  }
  await refineIdentityRanges(identities, readItem);
  // The image keys end where the identity records begin: the last range cannot reach past it.
  const firstIdentityKey = identityKeys[0];
  const last = identities[identities.length - 1];
  if (last !== undefined && firstIdentityKey !== undefined && last[1] > firstIdentityKey) identities[identities.length - 1] = [last[0], firstIdentityKey];
  return { imageKeys, identities, header0 };
}

/**
 * Identity ranges store keys as float32 too. Where a boundary is ≥ 2^24 it may be rounded:
 * consecutive identities share it, so find the true one among the keys within an ulp by the
 * image records' own class labels (class ids stay far below 2^24).
 */
async function refineIdentityRanges(
  identities: IdentityRange[],
  readItem: (key: number) => Promise<RecordIOItem | undefined>,
): Promise<void> {
  for (let i = 0; i + 1 < identities.length; i++) {
    const boundary = (identities[i] as IdentityRange)[1];
    const ulp = float32Ulp(boundary);
    if (ulp === 0) continue;
    let exact = boundary;
    for (let key = boundary - ulp; key <= boundary + ulp; key++) {
      const item = await readItem(key);
      if (item !== undefined && item.flag === 0 && recordClassLabel(item) >= i + 1) {
        exact = key;
        break;
      }
    }
    identities[i] = [(identities[i] as IdentityRange)[0], exact];
    identities[i + 1] = [exact, (identities[i + 1] as IdentityRange)[1]];
  }
}

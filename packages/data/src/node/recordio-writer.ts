import { open, type FileHandle, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '@arcface/core';
import { encodeRecord } from '../recordio/framing';
import { packRecordPayload, type RecordIOItemInput } from '../recordio/ir-header';
import { defaultIdxPath } from './open-recordio';

const FLUSH_AT = 1 << 20;
const UTF8 = new TextEncoder();

/** Buffers writes to a file handle in 1 MiB blocks. */
class BufferedFile {
  private chunks: Uint8Array[] = [];
  private pending = 0;
  constructor(private readonly handle: FileHandle) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.chunks.push(bytes);
    this.pending += bytes.length;
    if (this.pending >= FLUSH_AT) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const block = new Uint8Array(this.pending);
    let at = 0;
    for (const c of this.chunks) {
      block.set(c, at);
      at += c.length;
    }
    this.chunks = [];
    this.pending = 0;
    await this.handle.write(block);
  }
  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}

/**
 * Writes an indexed RecordIO set as `MXIndexedRecordIO` does: each record framed by dmlc's
 * rules (split at aligned magic words), one `key\toffset` `.idx` line per record, in write order.
 *
 * @example
 * const w = await RecordIOWriter.create('out/train.rec');
 * await w.write(1, { label: 0, id: 1, image: jpeg });
 * await w.close();
 */
export class RecordIOWriter {
  private offset = 0;
  private readonly keys = new Set<number>();
  private constructor(
    private readonly rec: BufferedFile,
    private readonly idx: BufferedFile,
  ) {}

  static async create(recPath: string, idxPath = defaultIdxPath(recPath)): Promise<RecordIOWriter> {
    const rec = await open(recPath, 'w');
    const idx = await open(idxPath, 'w').catch(async (error: unknown) => {
      await rec.close();
      throw error;
    });
    return new RecordIOWriter(new BufferedFile(rec), new BufferedFile(idx));
  }

  /** Bytes written to the `.rec` so far: the offset the next record gets. */
  get bytesWritten(): number {
    return this.offset;
  }

  /** Appends record `key`: a ready payload, or header fields and image to pack as `mx.recordio.pack`. */
  async write(key: number, record: Uint8Array | RecordIOItemInput): Promise<void> {
    if (!Number.isSafeInteger(key) || key < 0) throw new InvalidArgumentError(`record key must be a non-negative integer, got ${key}`);
    if (this.keys.has(key)) throw new InvalidArgumentError(`record key ${key} written twice`);
    this.keys.add(key);
    const framed = encodeRecord(record instanceof Uint8Array ? record : packRecordPayload(record));
    await this.idx.write(UTF8.encode(`${key}\t${this.offset}\n`));
    await this.rec.write(framed);
    this.offset += framed.length;
  }

  async close(): Promise<void> {
    await this.rec.close();
    await this.idx.close();
  }
}

/** One image of a face set to write: its class id and encoded bytes. */
export interface FaceRecordSample {
  label: number;
  image: Uint8Array;
}

/**
 * Writes a face set in the insightface layout (`rec_builder.py`): images as keys 1…N with their
 * class id as label, one identity record per class (label [first, end) of its image keys),
 * record 0 (label [N+1, N+1+classes)) written last, and a `property` file `"classes,H,W"`.
 * Samples must come grouped by class in non-decreasing label order. Streams: memory stays bounded.
 *
 * @example
 * await writeFaceRecordIO('out/train.rec', samples, { imageSize: [112, 112] });
 */
export async function writeFaceRecordIO(
  recPath: string,
  samples: Iterable<FaceRecordSample> | AsyncIterable<FaceRecordSample>,
  options: { idxPath?: string; imageSize?: readonly [height: number, width: number] } = {},
): Promise<{ images: number; identities: number }> {
  const writer = await RecordIOWriter.create(recPath, options.idxPath ?? defaultIdxPath(recPath));
  const ranges: Array<[number, number]> = [];
  let key = 1;
  let currentLabel: number | undefined;
  try {
    for await (const { label, image } of samples) {
      if (!Number.isInteger(label) || label < 0) throw new InvalidArgumentError(`class label must be a non-negative integer, got ${label}`);
      if (currentLabel !== undefined && label < currentLabel) {
        throw new InvalidArgumentError(`samples must be grouped by class in non-decreasing order; got class ${label} after ${currentLabel}`);
      }
      if (label !== currentLabel) {
        // Classes with no images still get an (empty) identity record, so class c is identity c.
        while (ranges.length <= label) ranges.push([key, key]);
        currentLabel = label;
      }
      await writer.write(key, { label, id: key, image });
      (ranges[label] as [number, number])[1] = key + 1;
      key++;
    }
    const firstIdentity = key;
    for (const [start, end] of ranges) {
      await writer.write(key, { label: [start, end], id: key });
      key++;
    }
    // Header0 goes last (its offset ends the file); readers find it through the .idx.
    await writer.write(0, { label: [firstIdentity, key], id: 0 });
  } finally {
    await writer.close();
  }
  if (options.imageSize) {
    await writeFile(join(dirname(recPath), 'property'), `${ranges.length},${options.imageSize[0]},${options.imageSize[1]}`);
  }
  return { images: key - 1 - ranges.length, identities: ranges.length };
}


import { RecordIOFormatError } from '../errors';

/** dmlc RecordIO magic word, 0xced7230a, stored little-endian as bytes 0a 23 d7 ce. */
export const RECORDIO_MAGIC = 0xced7230a;
/** The low 29 bits of `lrec` hold a part's length; the top 3 hold its continuation flag. */
export const RECORDIO_LENGTH_MASK = (1 << 29) - 1;
/** A record (all its parts together) must be shorter than 2^29 bytes. */
export const RECORDIO_MAX_LENGTH = 1 << 29;

/** Continuation flag of a physical part: whole record, or first/middle/last part of a split one. */
export const enum PartFlag {
  Whole = 0,
  Start = 1,
  Middle = 2,
  End = 3,
}

/** One physical part header: where its data starts, how long it is, and where the next part starts. */
export interface PartHeader {
  cflag: number;
  length: number;
  dataOffset: number;
  nextOffset: number;
}

/**
 * Parses the 8-byte part header at `offset` of a file of `fileSize` bytes (`head` holds those 8
 * bytes). Throws {@link RecordIOFormatError} on a wrong magic or a length that runs past the end.
 */
export function parsePartHeader(head: Uint8Array, offset: number, fileSize: number): PartHeader {
  if (offset % 4 !== 0) throw new RecordIOFormatError(`record offset ${offset} is not 4-byte aligned`);
  if (head.length < 8 || offset + 8 > fileSize) {
    throw new RecordIOFormatError(`truncated record header at byte ${offset} (file has ${fileSize} bytes)`);
  }
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const magic = view.getUint32(0, true);
  if (magic !== RECORDIO_MAGIC) {
    throw new RecordIOFormatError(`wrong magic 0x${magic.toString(16).padStart(8, '0')} at byte ${offset} (expected 0xced7230a)`);
  }
  const lrec = view.getUint32(4, true);
  const cflag = lrec >>> 29;
  const length = lrec & RECORDIO_LENGTH_MASK;
  if (cflag > PartFlag.End) throw new RecordIOFormatError(`invalid continuation flag ${cflag} at byte ${offset}`);
  const dataOffset = offset + 8;
  if (dataOffset + length > fileSize) {
    throw new RecordIOFormatError(`record at byte ${offset} claims ${length} bytes but the file ends at ${fileSize} (truncated .rec?)`);
  }
  // Only the last part of a record is padded; earlier parts of a split record are multiples of 4.
  const nextOffset = dataOffset + Math.ceil(length / 4) * 4;
  return { cflag, length, dataOffset, nextOffset };
}

/**
 * Reassembles a logical record from its parts: dmlc's writer dropped each 4-byte-aligned word
 * equal to the magic and started a new part there, so the reader puts the magic back between parts.
 */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let total = 4 * (parts.length - 1);
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  parts.forEach((part, i) => {
    if (i > 0) {
      out.set(MAGIC_BYTES, at);
      at += 4;
    }
    out.set(part, at);
    at += part.length;
  });
  return out;
}

const MAGIC_BYTES = new Uint8Array([0x0a, 0x23, 0xd7, 0xce]);

/** Checks that a sequence of continuation flags is one legal record (0, or 1 2* 3). */
export function checkPartSequence(previous: number | undefined, cflag: number, offset: number): void {
  const starting = previous === undefined;
  if (starting && (cflag === PartFlag.Middle || cflag === PartFlag.End)) {
    throw new RecordIOFormatError(`record at byte ${offset} starts with continuation flag ${cflag} (a middle or end part)`);
  }
  if (!starting && (cflag === PartFlag.Whole || cflag === PartFlag.Start)) {
    throw new RecordIOFormatError(`split record interrupted at byte ${offset}: expected a middle or end part, got flag ${cflag}`);
  }
}

/**
 * Frames one logical record exactly as dmlc's `RecordIOWriter::WriteRecord` does: every
 * 4-byte-aligned word of the payload equal to the magic ends a part (flag 1 first, 2 after)
 * and is dropped; the last part gets flag 3 (or 0 if nothing was split) and zero padding.
 *
 * @example
 * encodeRecord(new Uint8Array([1, 2, 3])).length; // 12: magic, lrec, 3 bytes, 1 pad
 */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  const len = payload.length;
  if (len >= RECORDIO_MAX_LENGTH) throw new RecordIOFormatError(`record of ${len} bytes is too long (limit 2^29 - 1)`);
  const lowerAlign = len & ~3;
  const splits: number[] = [];
  for (let i = 0; i < lowerAlign; i += 4) {
    if (payload[i] === 0x0a && payload[i + 1] === 0x23 && payload[i + 2] === 0xd7 && payload[i + 3] === 0xce) splits.push(i);
  }
  const padded = Math.ceil(len / 4) * 4;
  // Each split removes 4 payload bytes and adds an 8-byte header.
  const out = new Uint8Array(8 + padded + splits.length * 4);
  const view = new DataView(out.buffer);
  let at = 0;
  let start = 0;
  const writePart = (cflag: number, from: number, to: number): void => {
    view.setUint32(at, RECORDIO_MAGIC, true);
    view.setUint32(at + 4, ((cflag << 29) | (to - from)) >>> 0, true);
    out.set(payload.subarray(from, to), at + 8);
    at += 8 + (to - from);
  };
  splits.forEach((i, n) => {
    writePart(n === 0 ? PartFlag.Start : PartFlag.Middle, start, i);
    start = i + 4;
  });
  writePart(splits.length > 0 ? PartFlag.End : PartFlag.Whole, start, len);
  return out;
}

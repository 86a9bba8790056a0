import { InvalidArgumentError } from '@arcface/core';
import { RecordIOFormatError } from '../errors';

/** Size of MXNet's `IRHeader`, `struct.pack('IfQQ')`: u32 flag, f32 label, u64 id, u64 id2. */
export const IR_HEADER_SIZE = 24;

/**
 * One logical record, unpacked as `mx.recordio.unpack` does.
 * `label` is a number when `flag` is 0, else the `flag` float32 values stored after the header.
 */
export interface RecordIOItem {
  flag: number;
  label: number | number[];
  id: number;
  id2: number;
  /** The raw encoded image bytes (JPEG, PNG, …); empty for identity records and header0. */
  image: Uint8Array;
}

/** What {@link packRecordPayload} takes: as `mx.recordio.pack`, an array label sets `flag = label.length`. */
export interface RecordIOItemInput {
  label: number | readonly number[];
  id?: number;
  id2?: number;
  image?: Uint8Array;
}

/**
 * Unpacks a record payload into header, labels and image bytes.
 * Labels are float32 in the file: class ids and key ranges are exact only below 2^24.
 */
export function unpackRecordPayload(payload: Uint8Array): RecordIOItem {
  if (payload.length < IR_HEADER_SIZE) {
    throw new RecordIOFormatError(`record payload of ${payload.length} bytes is shorter than the 24-byte IRHeader`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const flag = view.getUint32(0, true);
  const id = readU64(view, 8, 'id');
  const id2 = readU64(view, 16, 'id2');
  if (flag === 0) {
    return { flag, label: view.getFloat32(4, true), id, id2, image: payload.subarray(IR_HEADER_SIZE) };
  }
  const labelEnd = IR_HEADER_SIZE + 4 * flag;
  if (labelEnd > payload.length) {
    throw new RecordIOFormatError(`record header flag ${flag} announces ${flag} float32 labels but the payload has only ${payload.length} bytes`);
  }
  const label: number[] = new Array<number>(flag);
  for (let i = 0; i < flag; i++) label[i] = view.getFloat32(IR_HEADER_SIZE + 4 * i, true);
  return { flag, label, id, id2, image: payload.subarray(labelEnd) };
}

function readU64(view: DataView, at: number, name: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RecordIOFormatError(`record header ${name} ${value} is beyond 2^53 and cannot be represented exactly`);
  }
  return Number(value);
}

/**
 * Packs a record payload as `mx.recordio.pack(IRHeader(...), image)` does.
 *
 * @example
 * const payload = packRecordPayload({ label: 7, id: 1, image: jpegBytes });
 */
export function packRecordPayload(item: RecordIOItemInput): Uint8Array {
  const labels = typeof item.label === 'number' ? undefined : item.label;
  const flag = labels === undefined ? 0 : labels.length;
  const image = item.image ?? new Uint8Array(0);
  const id = item.id ?? 0;
  const id2 = item.id2 ?? 0;
  for (const [name, v] of [['id', id], ['id2', id2]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`record ${name} must be a non-negative safe integer, got ${v}`);
  }
  const out = new Uint8Array(IR_HEADER_SIZE + 4 * flag + image.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, flag, true);
  view.setFloat32(4, labels === undefined ? (item.label as number) : 0, true);
  view.setBigUint64(8, BigInt(id), true);
  view.setBigUint64(16, BigInt(id2), true);
  labels?.forEach((v, i) => view.setFloat32(IR_HEADER_SIZE + 4 * i, v, true));
  out.set(image, IR_HEADER_SIZE + 4 * flag);
  return out;
}

/** The class id of an image record: `label`, or `label[0]` when it is an array (as `MXFaceDataset`). */
export function recordClassLabel(item: RecordIOItem): number {
  const label = typeof item.label === 'number' ? item.label : item.label[0];
  if (label === undefined || !Number.isFinite(label)) {
    throw new RecordIOFormatError(`record ${item.id} has no finite class label (${JSON.stringify(item.label)})`);
  }
  return label;
}

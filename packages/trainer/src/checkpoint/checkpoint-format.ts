import { CheckpointError } from '../errors';

/** A named float32 array with its shape. */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Everything a checkpoint holds: JSON metadata and float32 arrays. */
export interface CheckpointContents {
  readonly meta: Record<string, unknown>;
  readonly arrays: readonly NamedArray[];
}

const MAGIC = new TextEncoder().encode('ARCFCKPT');
const VERSION = 1;

/**
 * Serialises a checkpoint into one buffer:
 * `"ARCFCKPT" | u32 version | u32 header bytes | header JSON | zero pad to 4 | float32 data | u32 CRC-32`
 * (little-endian). The CRC covers every byte before it, so a torn or truncated file is detected
 * on read rather than loaded as garbage.
 */
export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ meta: contents.meta, arrays: contents.arrays.map((a) => ({ name: a.name, shape: a.shape, length: a.data.length })) }),
  );
  const headerEnd = 16 + header.length;
  const dataStart = headerEnd + ((4 - (headerEnd % 4)) % 4);
  const dataBytes = contents.arrays.reduce((sum, a) => sum + a.data.length * 4, 0);
  const out = new Uint8Array(dataStart + dataBytes + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let offset = dataStart;
  for (const a of contents.arrays) {
    // Float32Array is little-endian on every platform tfjs runs on; copy the bytes as they are.
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), offset);
    offset += a.data.byteLength;
  }
  view.setUint32(offset, crc32(out.subarray(0, offset)), true);
  return out;
}

/** What a user can do about a damaged checkpoint file. */
const DAMAGED_HINT = 'delete it to resume from the previous checkpoint, or start the run again';

/** Parses and verifies a checkpoint; anything malformed throws {@link CheckpointError} naming `source`. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): CheckpointContents {
  const damaged = (what: string) => new CheckpointError(`'${source}': ${what}; ${DAMAGED_HINT}`);
  if (bytes.length < 20 || !MAGIC.every((b, i) => bytes[i] === b)) throw damaged(`not an arcface checkpoint (bad magic or too short: ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) throw damaged(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is truncated or damaged`);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new CheckpointError(`'${source}': format version ${version} is not supported (expected ${VERSION}); use the release that wrote it`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length - 4) throw damaged(`its header length ${headerLength} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch (error) {
    throw damaged(`its header is not JSON (${(error as Error).message})`);
  }
  const h = header as { meta?: unknown; arrays?: unknown };
  if (h === null || typeof h !== 'object' || h.meta === null || typeof h.meta !== 'object' || Array.isArray(h.meta) || !Array.isArray(h.arrays)) {
    throw damaged('its header lacks meta and arrays');
  }
  const headerEnd = 16 + headerLength;
  let offset = headerEnd + ((4 - (headerEnd % 4)) % 4);
  const arrays = (h.arrays as unknown[]).map((entry, i) => {
    const a = entry as { name?: unknown; shape?: unknown; length?: unknown };
    const shapeOk = Array.isArray(a?.shape) && (a.shape as unknown[]).every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    if (typeof a?.name !== 'string' || !shapeOk || !Number.isSafeInteger(a.length) || (a.length as number) < 0) throw damaged(`array ${i} of its header has no name, shape and length`);
    const shape = a.shape as number[];
    const length = a.length as number;
    if (shape.reduce((x, y) => x * y, 1) !== length) throw damaged(`array '${a.name}' has shape [${shape.join(', ')}] but ${length} values`);
    const end = offset + length * 4;
    if (end > bytes.length - 4) throw damaged(`array '${a.name}' runs past the end of the file`);
    // Copy into an aligned buffer: the file's byte offset need not be a multiple of 4.
    const data = new Float32Array(new Uint8Array(bytes.subarray(offset, end)).buffer);
    offset = end;
    return { name: a.name, shape, data };
  });
  if (offset !== bytes.length - 4) throw damaged(`${bytes.length - 4 - offset} bytes follow the last array`);
  return { meta: h.meta as Record<string, unknown>, arrays };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the zlib polynomial). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

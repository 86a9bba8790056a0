import { ModelFormatError } from '../errors';

/**
 * The entries of a zip archive whose members are stored uncompressed, as `torch.save` writes
 * them (torch ≥ 1.6). Reads the central directory (zip64 too: checkpoints over 4 GB), returns
 * views into `bytes` without copying.
 */
export function readStoredZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (message: string): never => {
    throw new ModelFormatError(file, `${message}; the file is truncated or not a zip written by torch.save`);
  };
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i -= 1) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) fail('no zip64 locator');
    const record = Number(view.getBigUint64(locator + 8, true));
    if (record + 56 > bytes.length || view.getUint32(record, true) !== 0x06064b50) fail('no zip64 end-of-central-directory record');
    count = Number(view.getBigUint64(record + 32, true));
    offset = Number(view.getBigUint64(record + 48, true));
  }
  const entries = new Map<string, Uint8Array>();
  let pos = offset;
  for (let n = 0; n < count; n += 1) {
    if (pos + 46 > bytes.length || view.getUint32(pos, true) !== 0x02014b50) fail(`central directory entry ${n} is missing`);
    const method = view.getUint16(pos + 10, true);
    let size = view.getUint32(pos + 20, true);
    const nameLength = view.getUint16(pos + 28, true);
    const extraLength = view.getUint16(pos + 30, true);
    const commentLength = view.getUint16(pos + 32, true);
    let local = view.getUint32(pos + 42, true);
    if (pos + 46 + nameLength + extraLength > bytes.length) fail(`central directory entry ${n} runs past the end`);
    const name = new TextDecoder().decode(bytes.subarray(pos + 46, pos + 46 + nameLength));
    // zip64 extra field: the 64-bit values of whichever 32-bit fields are 0xFFFFFFFF, in order.
    let extra = pos + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let at = extra + 4;
        const uncompressed = view.getUint32(pos + 24, true);
        if (uncompressed === 0xffffffff) at += 8;
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(at, true));
          at += 8;
        }
        if (local === 0xffffffff) local = Number(view.getBigUint64(at, true));
      }
      extra += 4 + length;
    }
    if (method !== 0) {
      throw new ModelFormatError(file, `zip entry '${name}' is compressed (method ${method}); torch.save stores entries uncompressed — load and save it again with torch.save`);
    }
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) fail(`local header of '${name}' is missing`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + size > bytes.length) fail(`entry '${name}' runs past the end`);
    entries.set(name, bytes.subarray(start, start + size));
    pos += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

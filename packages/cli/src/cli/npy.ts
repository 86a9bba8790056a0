/**
 * Encodes a float32 matrix as a NumPy `.npy` file (format 1.0): the magic, a little-endian
 * header dict padded so the data starts on a 64-byte boundary, then the values row-major.
 * `numpy.load` reads it as `float32` of shape `[rows, columns]`.
 *
 * @example
 * ```ts
 * writeFileSync('embeddings.npy', encodeNpy(new Float32Array([1, 2, 3, 4]), 2, 2));
 * ```
 */
export function encodeNpy(data: Float32Array, rows: number, columns: number): Uint8Array {
  if (data.length !== rows * columns) throw new RangeError(`encodeNpy: ${data.length} values do not make ${rows}×${columns}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  // 6 magic + 2 version + 2 header length, then the header ending in '\n', all a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i += 1) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i += 1) body.setFloat32(4 * i, data[i] as number, true);
  return out;
}

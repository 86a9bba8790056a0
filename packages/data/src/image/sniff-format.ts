/** Image formats told apart by their first bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'pgm';

/**
 * The format of encoded image bytes from their signature, or undefined. File names are not
 * trusted: the Yale set's files have no extension at all.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = (i: number): number => bytes[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x38) return 'gif';
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50) return 'webp';
  if (b(0) === 0x50 && (b(1) === 0x35 || b(1) === 0x32) && [0x20, 0x09, 0x0a, 0x0d].includes(b(2))) return 'pgm';
  return undefined;
}

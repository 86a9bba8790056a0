import { readFile } from 'node:fs/promises';
import { MissingFileError, nameInput } from '../errors';
import { parseVerificationBin, type VerificationBin } from '../pickle/verification-bin';

/**
 * Reads an insightface verification `.bin` (lfw.bin, cfp_fp.bin, agedb_30.bin, …): 2N encoded
 * images and N same/different flags, through the data-only pickle reader.
 *
 * @example
 * const { images, isSame } = await readVerificationBin('faces_emore/lfw.bin'); // 12000, 6000
 */
export async function readVerificationBin(path: string): Promise<VerificationBin> {
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MissingFileError([path]);
    throw error;
  });
  try {
    return parseVerificationBin(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw nameInput(error, path, 'the file is damaged or not an insightface verification .bin; download or export it again');
  }
}

import { open } from 'node:fs/promises';
import type { ByteSource } from '../recordio/byte-source';
import { MissingFileError } from '../errors';

/** A {@link ByteSource} over a file through one handle: positional reads, never the whole file. */
export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MissingFileError([path]);
    throw error;
  });
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buffer : buffer.subarray(0, got);
    },
    close: () => handle.close(),
  };
}

import { open } from 'node:fs/promises';
import type { ByteSource } from '../recordio/byte-source';
import { MissingFileError } from '../errors';

/** A {@link ByteSource} over a file through one handle: positional reads, never the whole file. */
export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new MissingFileError([path]);
    throw error;
  });
  // Nothing may leave this function with the handle open but unowned: close it if stat fails.
  const { size } = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    size,
    name: path,
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
    // Idempotent: a reader closed on an error path and again by its owner closes the handle once.
    close: () => (closing ??= handle.close()),
  };
}

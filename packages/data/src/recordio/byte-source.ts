/**
 * Random access to a sequence of bytes: a file through a handle in Node, an in-memory buffer
 * anywhere. `read` may return fewer bytes than asked only at the end of the source.
 */
export interface ByteSource {
  readonly size: number;
  /** What the bytes are (a file path), named in errors about them. */
  readonly name?: string;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** A {@link ByteSource} over bytes already in memory (a fetched file in the browser, a test fixture). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + length))),
  };
}

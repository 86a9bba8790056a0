import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from '../checkpoint/checkpoint-format';
import type { CheckpointStore } from '../checkpoint/checkpoint-store-interface';
import { CheckpointError } from '../errors';

const NAME = /^checkpoint-(\d{9})\.arcface$/;
const fileName = (step: number) => `checkpoint-${String(step).padStart(9, '0')}.arcface`;

/**
 * Checkpoints as files in a folder: `checkpoint-000000123.arcface`. Each is written to a
 * temporary file, fsynced, renamed into place and the folder fsynced, so a crash (even
 * SIGKILL mid-write) leaves either the old set or the new file complete, never a torn one;
 * leftover temporary files are ignored and cleaned up. Only the newest `keep` are kept.
 *
 * @example
 * const store = fileCheckpointStore('runs/arcface/checkpoints', { keep: 3 });
 */
export function fileCheckpointStore(dir: string, options: { keep?: number } = {}): CheckpointStore {
  const keep = options.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new CheckpointError(`keep must be a positive integer, got ${keep}`);
  const list = async (): Promise<number[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    return names
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  };
  return {
    list,
    async save(step, contents) {
      await mkdir(dir, { recursive: true });
      const bytes = encodeCheckpoint(contents);
      const path = join(dir, fileName(step));
      const temp = `${path}.tmp-${process.pid}`;
      const file = await open(temp, 'w');
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
      await syncDir(dir);
      const steps = await list();
      for (const old of steps.slice(0, Math.max(0, steps.length - keep))) await rm(join(dir, fileName(old)), { force: true });
      // Temporary files of killed writers (another pid) are garbage: remove them.
      for (const name of await readdir(dir)) {
        if (name.includes('.arcface.tmp-') && !name.endsWith(`.tmp-${process.pid}`)) await rm(join(dir, name), { force: true });
      }
      return path;
    },
    async latest() {
      const steps = await list();
      for (let i = steps.length - 1; i >= 0; i--) {
        const path = join(dir, fileName(steps[i] as number));
        try {
          return { step: steps[i] as number, path, contents: decodeCheckpoint(await readFile(path), path) };
        } catch (error) {
          // A damaged newest file should never happen with atomic writes; fall back to the previous one.
          if (!(error instanceof CheckpointError)) throw error;
        }
      }
      return undefined;
    },
  };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every file system allows fsync on a folder; the rename is still atomic.
  }
}

/** Reads and verifies one checkpoint file. */
export async function readCheckpointFile(path: string): Promise<CheckpointContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CheckpointError(`could not read checkpoint '${path}': ${(error as Error).message}`, { cause: error });
  }
  return decodeCheckpoint(bytes, path);
}

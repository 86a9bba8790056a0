import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../errors';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from './checkpoint-format';

/** Where checkpoints go. The trainer only needs these three operations. */
export interface CheckpointStore {
  /** Writes the checkpoint of `step`, atomically, and prunes old ones. Returns its location. */
  save(step: number, contents: CheckpointContents): string;
  /** The newest readable checkpoint, or undefined when there is none. */
  latest(): { step: number; path: string; contents: CheckpointContents } | undefined;
  /** Steps of the checkpoints present, ascending. */
  list(): number[];
}

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
  const list = (): number[] => {
    let names: string[];
    try {
      names = readdirSync(dir);
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
    save(step, contents) {
      mkdirSync(dir, { recursive: true });
      const bytes = encodeCheckpoint(contents);
      const path = join(dir, fileName(step));
      const temp = `${path}.tmp-${process.pid}`;
      const fd = openSync(temp, 'w');
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      syncDir(dir);
      const steps = list();
      for (const old of steps.slice(0, Math.max(0, steps.length - keep))) rmSync(join(dir, fileName(old)), { force: true });
      // Temporary files of killed writers (another pid) are garbage: remove them.
      for (const name of readdirSync(dir)) if (name.includes('.arcface.tmp-') && !name.endsWith(`.tmp-${process.pid}`)) rmSync(join(dir, name), { force: true });
      return path;
    },
    latest() {
      const steps = list();
      for (let i = steps.length - 1; i >= 0; i--) {
        const path = join(dir, fileName(steps[i] as number));
        try {
          return { step: steps[i] as number, path, contents: decodeCheckpoint(readFileSync(path), path) };
        } catch (error) {
          // A damaged newest file should never happen with atomic writes; fall back to the previous one.
          if (!(error instanceof CheckpointError)) throw error;
        }
      }
      return undefined;
    },
  };
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system allows fsync on a folder; the rename is still atomic.
  }
}

/** Reads and verifies one checkpoint file. */
export function readCheckpointFile(path: string): CheckpointContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CheckpointError(
      missing ? `checkpoint '${path}' does not exist; list the run's checkpoints folder for the ones there are` : `could not read checkpoint '${path}': ${(error as Error).message}`,
      { cause: error },
    );
  }
  return decodeCheckpoint(bytes, path);
}

import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How many file descriptors this process holds now (`/proc/self/fd`, Linux); undefined elsewhere. */
export function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/**
 * Runs a full garbage collection and reports Node's "Closing file descriptor N on garbage
 * collection" warnings: each is a `FileHandle` that a reader dropped without closing. Tests only:
 * it turns on `--expose-gc` for this process.
 */
export async function collectGarbageClosedDescriptors(): Promise<string[]> {
  const warnings: string[] = [];
  const listen = (warning: Error): void => {
    if (/closing file descriptor/i.test(warning.message)) warnings.push(warning.message);
  };
  process.on('warning', listen);
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i++) {
      gc();
      // The warning is emitted on a later tick than the collection that closes the handle.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    process.off('warning', listen);
  }
  return warnings;
}

/** Rejects with a clear message when `promise` takes longer than `ms`: a hang is a failure. */
export async function withinTime<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hang)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A fresh folder for tests that write many small files: in memory (`/dev/shm`) where there is
 * one, since a disk-backed temporary folder makes a thousand-file fuzz run take a minute.
 */
export function scratchDir(prefix: string): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, prefix));
}

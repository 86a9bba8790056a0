import { CheckpointError } from '../errors';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
import type { CheckpointStore } from './checkpoint-store-interface';

/**
 * Checkpoints kept in memory, encoded as they would be on disk (so a restore goes through the
 * same checks): for the browser, tests, and runs that only need to survive a NaN, not a crash.
 * Only the newest `keep` are kept.
 *
 * @example
 * const store = memoryCheckpointStore({ keep: 2 });
 */
export function memoryCheckpointStore(options: { keep?: number } = {}): CheckpointStore {
  const keep = options.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new CheckpointError(`keep must be a positive integer, got ${keep}`);
  const saved = new Map<number, Uint8Array>();
  const steps = () => [...saved.keys()].sort((a, b) => a - b);
  return {
    async list() {
      return steps();
    },
    async save(step, contents) {
      saved.set(step, encodeCheckpoint(contents));
      for (const old of steps().slice(0, Math.max(0, saved.size - keep))) saved.delete(old);
      return `memory:${step}`;
    },
    async latest() {
      const newest = steps().at(-1);
      if (newest === undefined) return undefined;
      const path = `memory:${newest}`;
      return { step: newest, path, contents: decodeCheckpoint(saved.get(newest) as Uint8Array, path) };
    },
  };
}

import type { CheckpointContents } from './checkpoint-format';

/**
 * Where checkpoints go. The trainer needs only these three operations; they are asynchronous so
 * that a store can be a folder (`fileCheckpointStore` of `@arcface/trainer/node`), memory, or a
 * browser's IndexedDB.
 */
export interface CheckpointStore {
  /** Writes the checkpoint of `step`, atomically, and prunes old ones. Returns its location. */
  save(step: number, contents: CheckpointContents): Promise<string>;
  /** The newest readable checkpoint, or undefined when there is none. */
  latest(): Promise<{ step: number; path: string; contents: CheckpointContents } | undefined>;
  /** Steps of the checkpoints present, ascending. */
  list(): Promise<number[]>;
}

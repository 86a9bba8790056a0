import * as tf from '@tensorflow/tfjs-core';

/**
 * Temporaries a filter-gradient kernel may hold at once, in units of its largest input. The
 * wasm heap is 32-bit and a training step already holds every activation of the network, so a
 * kernel must not need ten input-sized copies at batch 64.
 */
const INPUT_COPIES = 3.5;

/** A layer whose temporaries fit in this is never cut for memory: small layers gain nothing from chunks. */
const FLOOR_BYTES = 64 * 2 ** 20;

/** One chunk of the batch: images [start, start + size). */
export interface BatchChunk {
  readonly start: number;
  readonly size: number;
}

/** What one image of the batch costs a kernel, in bytes. */
export interface ImageCosts {
  /** Temporaries it adds to one call. */
  readonly temporaries: number;
  /** Its share of the inputs: each chunk holds a copy of its own images. */
  readonly inputs: number;
  /** Its share of a working set best kept within {@link ChunkLimits.cacheBytes}. */
  readonly cached?: number;
}

export interface ChunkLimits {
  /** The kernel's largest input: a chunk's temporaries stay within max(3.5 × this, 64 MiB). */
  readonly largestInputBytes: number;
  /** A chunk's cached working set stays within this (default: no limit). */
  readonly cacheBytes?: number;
  /** The fewest images a chunk cut for the cache may hold (default 1). */
  readonly fewestImages?: number;
}

/**
 * Cuts a batch into chunks whose sizes differ by at most one image, within the limits (a chunk
 * holds at least one image whatever they say).
 */
export function batchChunks(batch: number, costs: ImageCosts, limits: ChunkLimits): BatchChunk[] {
  if (batch <= 0) return [];
  const budget = Math.max(INPUT_COPIES * limits.largestInputBytes, FLOOR_BYTES);
  const cached = costs.cached ?? 0;
  const forCache = cached > 0 && limits.cacheBytes !== undefined ? Math.max(Math.floor(limits.cacheBytes / cached), limits.fewestImages ?? 1) : batch;
  if (batch * costs.temporaries <= budget && batch <= forCache) return [{ start: 0, size: batch }];
  // Once cut, a chunk also holds its own copy of its images.
  const forMemory = Math.floor(budget / Math.max(costs.temporaries + costs.inputs, 1));
  const fits = Math.max(Math.min(forMemory, forCache, batch), 1);
  const count = Math.ceil(batch / fits);
  const base = Math.floor(batch / count);
  const chunks: BatchChunk[] = [];
  for (let k = 0, start = 0; k < count; k++) {
    // The first (batch mod count) chunks take one image more.
    const size = base + (k < batch % count ? 1 : 0);
    chunks.push({ start, size });
    start += size;
  }
  return chunks;
}

/**
 * Images [start, start + size) of a batch. `tf.slice` on wasm first copies its whole input
 * into JavaScript (80 ms for a 51 MB batch, whatever the slice); cropAndResize with whole-image
 * boxes and as many rows and columns as the image copies just those images, row by row
 * (memcpy), and exactly: the sampled row is 0 + y·(H − 1)/(H − 1) = y.
 */
export function imagesOf(batch: tf.Tensor4D, start: number, size: number): tf.Tensor4D {
  const [, height, width] = batch.shape;
  const boxes = tf.tensor2d(new Float32Array(size * 4).map((_, k) => (k % 4 >= 2 ? 1 : 0)), [size, 4]);
  const indices = tf.tensor1d(Int32Array.from({ length: size }, (_, k) => start + k), 'int32');
  const images = tf.image.cropAndResize(batch, boxes, indices, [height, width], 'nearest');
  tf.dispose([boxes, indices]);
  return images;
}

/**
 * Σ over chunks of `term(inputs of the chunk)`. Each chunk's copies of its images and its
 * temporaries (an XNNPACK operator holds its packed filter until that filter's tensor is
 * freed) are released before the next chunk starts; the running sum replaces the previous one.
 * A single chunk passes the inputs through uncopied.
 */
export function sumOverChunks<T extends tf.Tensor>(chunks: readonly BatchChunk[], inputs: readonly tf.Tensor4D[], term: (parts: tf.Tensor4D[]) => T): T {
  let total: T | undefined;
  const whole = chunks.length === 1;
  for (const { start, size } of chunks) {
    const value = tf.tidy(() => term(whole ? [...inputs] : inputs.map((t) => imagesOf(t, start, size))));
    if (total === undefined) {
      total = value;
    } else {
      const sum = tf.add(total, value) as T;
      tf.dispose([total, value]);
      total = sum;
    }
  }
  if (total === undefined) throw new RangeError('sumOverChunks: no chunk to sum');
  return total;
}

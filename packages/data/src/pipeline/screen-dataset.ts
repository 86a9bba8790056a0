import { InvalidArgumentError } from '@arcface/core';
import { type FaceDataset, subsetDataset } from '../dataset/face-dataset';
import { type BadImage, BadImagesError, ImageDecodeError } from '../errors';
import { checkIdentities } from './check-identities';

/** What to do with an image that cannot be read: refuse the whole set, or leave it out. */
export type BadImagePolicy = 'stop' | 'skip';

export interface ScreenOptions {
  /** `stop` (default): throw {@link BadImagesError} listing every bad image; `skip`: leave them out. */
  onBadImage?: BadImagePolicy;
  /** Files checked at once [16]. */
  concurrency?: number;
  /** Called after each checked image, for a progress line on large sets. */
  onProgress?: (checked: number, total: number) => void;
}

/** A set with its unreadable images left out, and the list of those. */
export interface ScreenedDataset {
  /** The readable samples, class ids unchanged (a class whose every image was bad is empty). */
  readonly dataset: FaceDataset;
  /** Every image left out, in dataset order: write it out for the user (see {@link formatBadImages}). */
  readonly skipped: readonly BadImage[];
  /** Images checked. */
  readonly checked: number;
}

/**
 * The validation pass run before training: every sample is checked (`dataset.checkImage`, which
 * reads headers and end markers without decoding pixels where it can; `loadImage` otherwise),
 * all of them, so every bad file is known at once rather than one per failed run. Only
 * {@link ImageDecodeError}s count as bad images; any other error (a missing folder, a bug) is
 * thrown as it is. Then the set must still hold at least two identities.
 *
 * @example
 * const { dataset, skipped } = await screenDataset(await openImageFolder('faces'), { onBadImage: 'skip' });
 * if (skipped.length > 0) await writeFile('skipped.txt', formatBadImages(skipped));
 */
export async function screenDataset(dataset: FaceDataset, options: ScreenOptions = {}): Promise<ScreenedDataset> {
  const policy = options.onBadImage ?? 'stop';
  const concurrency = options.concurrency ?? 16;
  if (policy !== 'stop' && policy !== 'skip') throw new InvalidArgumentError(`onBadImage must be 'stop' or 'skip', got ${JSON.stringify(policy)}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
  const n = dataset.length;
  const bad: BadImage[] = [];
  const check = async (index: number): Promise<void> => {
    try {
      if (dataset.checkImage) await dataset.checkImage(index);
      else await dataset.loadImage(index);
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      const source = error.source ?? dataset.describe?.(index) ?? `sample ${index}`;
      const prefix = `'${source}': `;
      bad.push({ index, source, reason: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message });
    }
  };
  let checked = 0;
  for (let start = 0; start < n; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - start) }, (_, k) => start + k);
    // allSettled: an unexpected error still waits for the reads in flight before it propagates.
    const results = await Promise.allSettled(batch.map(check));
    for (const result of results) if (result.status === 'rejected') throw result.reason;
    checked += batch.length;
    options.onProgress?.(checked, n);
  }
  bad.sort((a, b) => a.index - b.index);
  if (bad.length > 0 && policy === 'stop') throw new BadImagesError(bad, n);
  const badIndices = new Set(bad.map((b) => b.index));
  const kept = bad.length === 0 ? dataset : subsetDataset(dataset, range(n).filter((i) => !badIndices.has(i)), false);
  checkIdentities(kept, bad.length > 0 ? 'the training set without its unreadable images' : undefined);
  return { dataset: kept, skipped: bad, checked: n };
}

/** One line per bad image, `source<TAB>reason`: the list `skip` promises the user. */
export function formatBadImages(images: readonly BadImage[]): string {
  return images.map((b) => `${b.source}\t${b.reason.replace(/\s+/g, ' ')}\n`).join('');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

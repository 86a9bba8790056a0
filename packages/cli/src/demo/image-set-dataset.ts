import type { FaceDataset, RgbImage } from '@arcface/data';

import type { ImageSet } from './demo-data';

/**
 * The demo's in-memory images as a {@link FaceDataset}, so they train through `createTrainer`'s
 * data pipeline. The tensor holds (x/255 − 0.5)/0.5 of byte pixels; x = round((v + 1)·127.5)
 * recovers the bytes exactly, and the pipeline normalises them again the same way.
 *
 * @example
 * ```ts
 * const dataset = imageSetDataset(data.train);
 * const image = await dataset.loadImage(0); // { width: 32, height: 32, data: Uint8Array }
 * ```
 */
export function imageSetDataset(set: ImageSet): FaceDataset {
  const [count, height, width] = set.images.shape as [number, number, number, number];
  const per = height * width * 3;
  // One asynchronous read of the whole set, on the first image asked for: it is small (the
  // demo's sets fit in memory by design), and a synchronous read would fail on WebGPU.
  let bytes: Promise<Uint8Array> | undefined;
  const read = async (): Promise<Uint8Array> => {
    const values = await set.images.data();
    const out = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(((values[i] as number) + 1) * 127.5)));
    return out;
  };
  return {
    length: count,
    numClasses: set.classes,
    label: (index) => set.labels[index] as number,
    loadImage: async (index): Promise<RgbImage> => ({ width, height, data: (await (bytes ??= read())).subarray(index * per, (index + 1) * per) }),
  };
}

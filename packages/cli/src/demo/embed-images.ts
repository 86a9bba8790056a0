import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Embeddings of `images` `[N, H, W, 3]` in inference mode, batch by batch. With `flipSum`
 * (insightface's "Accuracy-Flip"), each row is emb(x) + emb(flip(x)), flipped along the width.
 * Returns host rows `[N · D]`, row-major, and D.
 *
 * @example
 * ```ts
 * const { data, size } = await embedImages(model, images, { flipSum: true });
 * ```
 */
export async function embedImages(
  model: tfl.LayersModel,
  images: tf.Tensor4D,
  options: { flipSum?: boolean; batchSize?: number } = {},
): Promise<{ data: Float32Array; size: number }> {
  const n = images.shape[0];
  const batchSize = options.batchSize ?? 128;
  const parts: Float32Array[] = [];
  let size = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const out = tf.tidy(() => {
      const x = tf.slice(images, [start, 0, 0, 0], [count, -1, -1, -1]);
      const e = model.apply(x, { training: false }) as tf.Tensor2D;
      return options.flipSum === true ? tf.add(e, model.apply(tf.reverse(x, 2), { training: false }) as tf.Tensor2D) : e;
    });
    size = out.shape[1] as number;
    parts.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const data = new Float32Array(n * size);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return { data, size };
}

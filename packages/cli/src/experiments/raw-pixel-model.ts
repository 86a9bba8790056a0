/**
 * Writes a model folder whose "embedding" is the image's own pixels (flattened, in [-1, 1]), so
 * `arcface gallery bench --model <it>` measures the raw-pixel floor on exactly the protocol a
 * trained model is measured on (docs/results.md):
 *
 *   node --conditions=@arcface/source --import tsx packages/cli/src/experiments/raw-pixel-model.ts \
 *     --size 32 --out /path/to/raw-pixels
 *
 * 32×32×3 = 3,072 dimensions: above HNSW's 2,000 for `vector`, so bench it with
 * `--index-precision half` (halfvec indexes up to 4,000).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { saveModelFolder } from '../cli/model-folder';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const size = Number(args.get('size') ?? 32);
const out = args.get('out');
if (out === undefined || !(size > 0)) throw new Error('usage: raw-pixel-model.ts --size 32 --out <dir>');

await tf.setBackend('cpu');
const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [size, size, 3] })] });
await saveModelFolder(out, model, {
  format: 'arcface-model',
  version: 1,
  backbone: { name: 'raw-pixels', options: {} },
  inputShape: [size, size, 3],
  embeddingSize: size * size * 3,
  margin: { name: 'none', options: {} },
  classes: 0,
  steps: 0,
  data: 'none',
});
console.log(`wrote a raw-pixel model (${size}×${size}×3 = ${size * size * 3} dimensions) to ${out}`);

import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@arcface/backend';
import { createBackbone } from '@arcface/backbones';
import { makeVerificationPairs } from '@arcface/data';
import { createMargin } from '@arcface/margins';
import { syntheticDemoData } from '../demo/demo-data';
import { embedImages } from '../demo/embed-images';
import { verifyPairs } from '../demo/evaluate-held-out';
import { trainDemoMargin } from '../demo/train-demo-margin';
const a = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) a.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const g = (k: string, d: string) => a.get(k) ?? d;
registerWasmTrainingKernels(); await tf.setBackend('wasm'); await tf.ready();
const size = Number(g('size', '32'));
const margins: Record<string, object> = { af: { name: 'additive-angular', o: { m: Number(g('m', '0.5')), s: Number(g('s', '16')) } }, ns: { name: 'softmax-normalized', o: { s: Number(g('s', '16')) } }, cf: { name: 'additive-cosine', o: { m: 0.35, s: Number(g('s', '16')) } } };
const list = g('margins', 'af,ns').split(',');
const ch = g('channels', '16,32,64').split(',').map(Number);
for (const seed of g('seeds', '1,2').split(',').map(Number)) {
  const t0 = performance.now();
  const data = syntheticDemoData({ trainIdentities: Number(g('train', '48')), heldOutIdentities: Number(g('held', '24')), imagesPerIdentity: Number(g('ipi', '16')), size, seed, difficulty: Number(g('d', '0.5')), conditions: g('cond', 'wild') as 'wild', backdrop: g('bg', 'plain') as 'plain' });
  const pairs = makeVerificationPairs(data.heldOut.labels, { folds: 10, pairsPerFold: Number(g('ppf', '60')), seed });
  const row: string[] = [];
  for (const key of list) {
    const m = margins[key] as { name: string; o: object };
    const model = createBackbone(g('backbone', 'tiny-cnn'), { inputShape: [size, size, 3], embeddingSize: Number(g('emb', '64')), seed, ...(g('backbone', 'tiny-cnn') === 'tiny-cnn' ? { channels: ch } : {}) });
    const run = await trainDemoMargin({ model, train: data.train, margin: createMargin(m.name, m.o as never), steps: Number(g('steps', '200')), batchSize: Number(g('batch', '64')), learningRate: Number(g('lr', '0.1')), weightDecay: Number(g('wd', '5e-4')), seed, thetaEvery: 0, flip: true });
    const held = await embedImages(model, data.heldOut.images, { flipSum: true });
    const v = verifyPairs(held.data, held.size, pairs);
    row.push(`${key} ${(100 * v.accuracy.mean).toFixed(2)} (loss ${run.loss[run.loss.length - 1]?.loss.toFixed(2)})`);
    model.dispose();
  }
  data.dispose();
  console.log(`seed ${seed}: ${row.join('  ')}  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
}

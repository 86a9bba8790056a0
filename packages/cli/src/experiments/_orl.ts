import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@arcface/backend';
import { createBackbone } from '@arcface/backbones';
import { makeVerificationPairs } from '@arcface/data';
import { createMargin } from '@arcface/margins';
import { folderDemoData } from '../demo/demo-data';
import { embedImages } from '../demo/embed-images';
import { verifyPairs } from '../demo/evaluate-held-out';
import { trainDemoMargin } from '../demo/train-demo-margin';
const a = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) a.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const g = (k: string, d: string) => a.get(k) ?? d;
registerWasmTrainingKernels(); await tf.setBackend('wasm'); await tf.ready();
const size = Number(g('size', '48'));
const margins: Record<string, { name: string; o: object }> = { af: { name: 'additive-angular', o: { m: 0.5, s: 16 } }, ns: { name: 'softmax-normalized', o: { s: 16 } } };
const aug = JSON.parse(g('aug', '{"flip":0.5,"crop":{"scale":[0.8,1]},"brightness":0.2,"contrast":0.2}'));
for (const seed of g('seeds', '1').split(',').map(Number)) {
  const data = await folderDemoData(g('data', '/work/shared/data/orl'), { size, heldOutIdentities: Number(g('held', '10')), seed });
  const pairs = makeVerificationPairs(data.heldOut.labels, { folds: 10, pairsPerFold: 60, seed });
  // raw floor: grey, centred by the set's mean image, L2-normalised
  const raw = tf.tidy(() => { const grey = tf.reshape(tf.mean(data.heldOut.images, 3), [data.heldOut.labels.length, -1]); return tf.sub(grey, tf.mean(grey, 0)); });
  const rv = verifyPairs((await raw.data()) as Float32Array, raw.shape[1] as number, pairs); raw.dispose();
  const raw2 = tf.tidy(() => { const grey = tf.reshape(tf.mean(data.heldOut.images, 3), [data.heldOut.labels.length, -1]); return tf.sub(grey, tf.mean(grey, 1, true)); });
  const rv2 = verifyPairs((await raw2.data()) as Float32Array, raw2.shape[1] as number, pairs); raw2.dispose();
  const row = [`raw-setmean ${(100 * rv.accuracy.mean).toFixed(2)} raw-perimage ${(100 * rv2.accuracy.mean).toFixed(2)}`];
  if (g('margins', 'af') === 'none') { console.log(`seed ${seed}: ${row.join('  ')}`); data.dispose(); continue; }
  for (const key of g('margins', 'af').split(',')) {
    const m = margins[key]!;
    const model = createBackbone('tiny-cnn', { inputShape: [size, size, 3], embeddingSize: 64, seed, channels: g('channels', '16,32,64').split(',').map(Number) });
    const t0 = performance.now();
    const run = await trainDemoMargin({ model, train: data.train, margin: createMargin(m.name, m.o as never), steps: Number(g('steps', '300')), batchSize: 64, learningRate: Number(g('lr', '0.1')), seed, thetaEvery: 0, augment: aug });
    const held = await embedImages(model, data.heldOut.images, { flipSum: true });
    const v = verifyPairs(held.data, held.size, pairs);
    row.push(`${key} ${(100 * v.accuracy.mean).toFixed(2)} (loss ${run.loss[run.loss.length - 1]?.loss.toFixed(2)}, ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    model.dispose();
  }
  data.dispose();
  console.log(`seed ${seed}: ${row.join('  ')}`);
}

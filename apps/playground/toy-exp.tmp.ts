import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '@arcface/testing';
await registerGradients();
import { createMargin } from '@arcface/margins';
import { createRng } from '@arcface/data';
import { createToyFaces } from './src/toy/toy-faces';
import { ToyModel } from './src/toy/toy-model';
import { measureToyGeometry } from './src/toy/toy-metrics';

await tf.setBackend('wasm');
const size = Number(process.argv[2] ?? 32);
const steps = Number(process.argv[4] ?? 300);
for (const difficulty of [Number(process.argv[3] ?? 0.3)]) {
  let t0 = performance.now();
  const faces = createToyFaces({ identities: 8, imagesPerIdentity: 40, size, seed: 7, difficulty });
  console.log('render ms', (performance.now() - t0).toFixed(0));
  const raw = tf.tensor2d(faces.inputs, [faces.labels.length, faces.inputSize]);
  const inputs = process.env.CENTER ? tf.tidy(() => { const c = tf.sub(raw, tf.mean(raw, 0, true)); return tf.div(c, tf.sqrt(tf.mean(tf.square(c)))) as tf.Tensor2D; }) : raw;
  for (const [name, opts] of [['softmax-normalized', { s: 16 }], ['additive-angular', { s: 16, m: 0.5 }]] as const) {
    const model = new ToyModel({ inputSize: faces.inputSize, hidden: 64, dimension: 2, classes: 8 }, createMargin(name, opts), 11);
    const rng = createRng(11);
    t0 = performance.now();
    const losses: number[] = [];
    for (let step = 0; step < steps; step++) {
      const idx = Array.from({ length: 64 }, () => rng.int(faces.labels.length));
      const x = tf.gather(inputs, tf.tensor1d(idx, 'int32')) as tf.Tensor2D;
      const y = tf.tensor1d(idx.map((i) => faces.labels[i]!), 'int32');
      const loss = model.trainStep(x, y, step);
      losses.push((await loss.data())[0]!);
      tf.dispose([x, y, loss]);
    }
    const ms = performance.now() - t0;
    const emb = model.embed(inputs);
    const g = measureToyGeometry(await emb.data(), faces.labels, 2, 8);
    emb.dispose();
    const avg = (a: number[]) => (a.reduce((p, q) => p + q, 0) / a.length).toFixed(3);
    console.log(difficulty, name, 'ms/step', (ms / steps).toFixed(1), 'loss', avg(losses.slice(0, 20)), avg(losses.slice(steps / 2 - 10, steps / 2 + 10)), avg(losses.slice(-20)), 'gap', g.gapDegrees.toFixed(1), 'intra', g.intraDegrees.toFixed(1), 'inter', g.interDegrees.toFixed(1));
    model.dispose();
  }
}

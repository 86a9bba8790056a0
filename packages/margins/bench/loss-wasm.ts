// Forward + backward of the ArcFace head at B 256, D 512, C 10000 on the wasm backend:
// marginSoftmaxLoss (closed form, explicit transposes) against the straightforward autodiff
// head (normalise, matMul with transposeB, margin logits, tf.losses.softmaxCrossEntropy).
// Run: pnpm --filter @arcface/margins exec tsx bench/loss-wasm.ts
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '@arcface/testing';
import { createMargin, marginSoftmaxLoss } from '../src/index';

const [B, D, C] = [256, 512, 10000];
const repeats = Number(process.env.REPEATS ?? 3);

async function time(label: string, step: () => tf.Tensor[]): Promise<number> {
  tf.dispose(step()); // warm-up
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const out = step();
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
  }
  const ms = (performance.now() - start) / repeats;
  console.log(`${label}: ${ms.toFixed(0)} ms per forward + backward`);
  return ms;
}

await tf.setBackend('wasm');
await registerGradients();
const x = tf.randomNormal([B, D]) as tf.Tensor2D;
const w = tf.randomNormal([C, D]) as tf.Tensor2D;
const labels = tf.randomUniform([B], 0, C, 'int32') as tf.Tensor1D;
const margin = createMargin('additive-angular', { m: 0.5, s: 64 });

const closedForm = await time('marginSoftmaxLoss (closed form)', () =>
  tf.grads((a: tf.Tensor, b: tf.Tensor) => marginSoftmaxLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, margin, { validate: false }))([x, w]),
);
const unit = (t: tf.Tensor) => tf.div(t, tf.maximum(tf.norm(t, 2, 1, true), 1e-12));
const naive = await time('autodiff head with transposeB', () =>
  tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const cos = tf.matMul(unit(a), unit(b), false, true) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, C), margin.logits(cos, labels)) as tf.Scalar;
  })([x, w]),
);
console.log(`ratio: ${(naive / closedForm).toFixed(1)}x (tfjs ${tf.version_core}, backend ${tf.getBackend()})`);

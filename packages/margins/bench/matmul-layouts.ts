// Times the matMul layouts the loss could use on the wasm backend (B 256, D 512, C 10000).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

async function time(label: string, fn: () => tf.Tensor, repeats = 3): Promise<void> {
  tf.dispose(fn());
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const out = fn();
    await out.data();
    out.dispose();
  }
  console.log(`${label}: ${((performance.now() - start) / repeats).toFixed(1)} ms`);
}

await tf.setBackend('wasm');
const [B, D, C] = [256, 512, 10000];
const x = tf.randomNormal([B, D]) as tf.Tensor2D;
const w = tf.randomNormal([C, D]) as tf.Tensor2D;
const g = tf.randomNormal([B, C]) as tf.Tensor2D;
await time('forward matMul(x, w, false, true)', () => tf.matMul(x, w, false, true));
await time('forward matMul(x, transpose(w))', () => tf.tidy(() => tf.matMul(x, tf.transpose(w))));
await time('transpose(w) alone', () => tf.transpose(w));
await time('backward dx = matMul(g, w)', () => tf.matMul(g, w));
await time('backward dw = matMul(g, x, true, false)', () => tf.matMul(g, x, true, false));
await time('backward dw = matMul(transpose(g), x)', () => tf.tidy(() => tf.matMul(tf.transpose(g), x)));

import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@arcface/backend';
import { createBackbone } from '@arcface/backbones';
import { createSyntheticFaces } from '@arcface/data';
import { createMargin } from '@arcface/margins';
import { createTrainer } from '@arcface/trainer';
registerWasmTrainingKernels();
await tf.setBackend('wasm'); await tf.ready();
const bs = Number(process.argv[2] ?? 32);
const faces = createSyntheticFaces({ identities: 48, imagesPerIdentity: 16, size: 32, seed: 1, cacheSize: 1024 });
for (let i = 0; i < faces.length; i++) faces.image(i);
const model = createBackbone('tiny-cnn', { inputShape: [32, 32, 3], embeddingSize: 64, seed: 1 });
const trainer = createTrainer({ backbone: model, margin: createMargin('additive-angular', { m: 0.5, s: 16 }), data: faces, batchSize: bs, steps: 40, seed: 1,
  optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'constant', lr: 0.05 }, augment: { flip: 0.5 }, clipGradientNorm: null,
  logger: { warn: () => undefined, info: () => undefined } });
await trainer.train({ untilStep: 2 });
const t0 = performance.now(); const c0 = process.cpuUsage();
await trainer.train({ untilStep: 12 });
const c1 = process.cpuUsage(c0);
console.log('wall per step', ((performance.now() - t0) / 10).toFixed(1), 'cpu per step', ((c1.user + c1.system) / 1e4).toFixed(1));
const agg = new Map<string, [number, number]>();
let total = 0; let nk = 0;
for (let r = 0; r < 5; r++) { const info = await tf.profile(async () => { await trainer.train({ untilStep: 13 + r }); return tf.scalar(0); }); nk = info.kernels.length;
for (const k of info.kernels) { const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0; total += ms; const a = agg.get(k.name) ?? [0, 0]; a[0]++; a[1] += ms; agg.set(k.name, a); }}
console.log('kernels', nk, '5 steps:', 'kernel ms sum', total.toFixed(1));
console.log([...agg.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25).map(([n, [c, ms]]) => `${n} ${c} ${ms.toFixed(1)}`).join('\n'));

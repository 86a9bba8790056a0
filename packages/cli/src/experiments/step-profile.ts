/**
 * Where the demo's minutes go: times one training step of the demo's network on the wasm
 * backend at several batch sizes and input sizes, splits it into data loading, forward +
 * backward and the optimiser update, and counts the kernels a step launches, so the fixed
 * per-op cost shows beside the per-image cost.
 *
 *   node --conditions=@arcface/source --import tsx packages/cli/src/experiments/step-profile.ts \
 *     [--backbone tiny-cnn] [--channels 16,32,64] [--sizes 32] [--batches 1,8,32,64] [--steps 12]
 */
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '@arcface/backend';
import { createBackbone } from '@arcface/backbones';
import { createSyntheticFaces } from '@arcface/data';
import { createMargin } from '@arcface/margins';
import { createTrainer } from '@arcface/trainer';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const backbone = args.get('backbone') ?? 'tiny-cnn';
const channels = args.has('channels') ? (args.get('channels') as string).split(',').map(Number) : undefined;
const sizes = (args.get('sizes') ?? '32').split(',').map(Number);
const batches = (args.get('batches') ?? '1,8,32,64').split(',').map(Number);
const steps = Number(args.get('steps') ?? 12);

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();

/** Counts kernel launches while `fn` runs (tf.profile's kernel list). */
async function countKernels(fn: () => Promise<unknown>): Promise<number> {
  const info = await tf.profile(async () => {
    await fn();
    return tf.scalar(0);
  });
  return info.kernels.length;
}

const rows: string[][] = [];
for (const size of sizes) {
  const faces = createSyntheticFaces({ identities: 48, imagesPerIdentity: 16, size, seed: 1, cacheSize: 1024 });
  for (const batchSize of batches) {
    const model = createBackbone(backbone, { inputShape: [size, size, 3], embeddingSize: 64, seed: 1, ...(channels === undefined ? {} : { channels }) });
    const stamps: number[] = [];
    const trainer = createTrainer({
      backbone: model,
      margin: createMargin('additive-angular', { m: 0.5, s: 16 }),
      data: faces,
      batchSize,
      steps: steps + 1,
      seed: 1,
      optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
      schedule: { type: 'constant', lr: 0.05 },
      augment: { flip: 0.5 },
      clipGradientNorm: null,
      logger: { warn: () => undefined, info: () => undefined },
      onEvent: (e) => {
        if (e.type === 'step') stamps.push(performance.now());
      },
    });
    // Step 1 compiles and allocates; the rest are timed. The first epoch renders the faces,
    // so they are rendered (cached) before timing.
    for (let i = 0; i < faces.length; i++) faces.image(i);
    await trainer.train({ untilStep: 1 });
    const kernels = await countKernels(() => trainer.train({ untilStep: 2 }));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await trainer.train();
    const perStep = (performance.now() - t0) / (steps - 1);
    const used = process.cpuUsage(c0);
    // CPU time of this process (all its threads): unlike wall time, it barely moves when other
    // work shares the machine.
    const cpuPerStep = (used.user + used.system) / 1000 / (steps - 1);
    // Data alone: the same pipeline work without the network (decode cached bytes, flip, normalise).
    const d0 = performance.now();
    for (let i = 0; i < steps - 1; i++) {
      const idx = Array.from({ length: batchSize }, (_, k) => (i * batchSize + k) % faces.length);
      const x = faces.batch(idx);
      x.dispose();
    }
    const data = (performance.now() - d0) / (steps - 1);
    // Forward only, in inference mode, for the share of the backward pass.
    const x = faces.batch(Array.from({ length: batchSize }, (_, k) => k % faces.length));
    const f0 = performance.now();
    for (let i = 0; i < steps - 1; i++) {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      await y.data();
      y.dispose();
    }
    const fwd = (performance.now() - f0) / (steps - 1);
    x.dispose();
    trainer.dispose();
    rows.push([`${size}`, `${batchSize}`, `${kernels}`, cpuPerStep.toFixed(1), (cpuPerStep / batchSize).toFixed(2), perStep.toFixed(1), fwd.toFixed(1), data.toFixed(1)]);
    console.log(rows[rows.length - 1]?.join('\t'));
  }
}
console.log(`\n${backbone}${channels === undefined ? '' : ` channels ${channels.join(',')}`}`);
console.log('| input | batch | kernels per step | CPU ms per step | CPU ms per image | wall ms per step | forward only (training mode), wall ms | batch assembly, wall ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

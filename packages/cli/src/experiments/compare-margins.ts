/**
 * Trains the same small backbone with several margins and verifies each on identities it never
 * saw (10-fold, insightface's protocol). Produces the figures of docs/results.md:
 *
 *   node --conditions=@arcface/source --import tsx packages/cli/src/experiments/compare-margins.ts \
 *     --data synthetic|<image folder> [--steps 150] [--margins additive-angular,softmax-normalized] [--out results.json]
 *
 * Runs on the wasm backend with the conv gradient kernels of @arcface/backend (the cpu backend
 * is about 20× slower at convolution gradients).
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { registerWasmTrainingKernels } from '@arcface/backend';
import { createSyntheticFaces, makeVerificationPairs, splitByIdentity, subsetDataset, type FaceDataset, type RgbImage } from '@arcface/data';
import { openImageFolder } from '@arcface/data/node';
import { createTrainer } from '@arcface/trainer';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] ?? '');
const dataArg = args.get('data') ?? 'synthetic';
const steps = Number(args.get('steps') ?? 150);
const size = Number(args.get('size') ?? 32);
const seed = Number(args.get('seed') ?? 1);
const scale = Number(args.get('s') ?? 16);
const channels = (args.get('channels') ?? '8,16,32').split(',').map(Number);
const embeddingSize = Number(args.get('embedding') ?? 64);
const margins = (args.get('margins') ?? 'additive-angular,additive-cosine,multiplicative-angular,combined,softmax-normalized').split(',');

/** Margin settings used for every run: the paper's m, with s = 16 for few classes (s = 64 is for thousands). */
const MARGIN_OPTIONS: Record<string, Record<string, number>> = {
  'additive-angular': { m: 0.5, s: scale },
  'additive-cosine': { m: 0.35, s: scale },
  'multiplicative-angular': { m: 4, s: scale },
  combined: { m1: 1, m2: 0.3, m3: 0.2, s: scale },
  'softmax-normalized': { s: scale },
};

/** Keeps decoded images in memory: the sets here are small and each image is read every epoch. */
function cached(dataset: FaceDataset): FaceDataset {
  const memo = new Map<number, Promise<RgbImage>>();
  return {
    length: dataset.length,
    numClasses: dataset.numClasses,
    label: (i) => dataset.label(i),
    loadImage: (i) => {
      let image = memo.get(i);
      if (image === undefined) memo.set(i, (image = dataset.loadImage(i)));
      return image;
    },
  };
}

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await tf.ready();

let all: FaceDataset;
let labels: Int32Array;
let heldOutIdentities: number;
if (dataArg === 'synthetic') {
  const faces = createSyntheticFaces({ identities: 60, imagesPerIdentity: 12, size, seed, cacheSize: 1000 });
  all = faces;
  labels = faces.labels;
  heldOutIdentities = 20;
} else {
  const folder = await openImageFolder(dataArg);
  all = cached(folder);
  labels = Int32Array.from({ length: folder.length }, (_, i) => folder.label(i));
  heldOutIdentities = Number(args.get('held-out') ?? 10);
}
const split = splitByIdentity(labels, { heldOutIdentities, seed });
const train = subsetDataset(all, split.train);
const heldOut = subsetDataset(all, split.heldOut);
const heldLabels = Int32Array.from({ length: heldOut.length }, (_, i) => heldOut.label(i));
const pairsPerFold = Number(args.get('pairs-per-fold') ?? 40);
const pairs = makeVerificationPairs(heldLabels, { folds: 10, pairsPerFold, seed });
console.log(`data ${dataArg}: ${train.length} training images of ${train.numClasses} identities; ${heldOut.length} held-out images of ${heldOutIdentities}; ${pairs.isSame.length} pairs; ${steps} steps`);

const rows: Array<Record<string, unknown>> = [];
for (const name of margins) {
  const started = Date.now();
  const trainer = createTrainer({
    backbone: { name: 'tiny-cnn', options: { inputShape: [size, size, 3], embeddingSize, channels } },
    margin: { name, options: MARGIN_OPTIONS[name] ?? {} },
    data: train,
    augment: { flip: 0.5 },
    batchSize: 64,
    steps,
    seed,
    optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { type: 'polynomial', lr: 0.1, warmupSteps: Math.round(steps / 15), totalSteps: steps },
    onEvent: (event) => {
      if (event.type === 'step' && event.step % 25 === 0) {
        console.log(`  ${name} step ${event.step}: loss ${event.loss.toFixed(3)}, θ_y ${event.thetaY.toFixed(1)}°, ${event.imagesPerSecond.toFixed(0)} img/s`);
      }
    },
    evaluation: { sets: [{ name: 'held-out', dataset: heldOut, first: pairs.first, second: pairs.second, isSame: pairs.isSame }], statisticsSamples: 256 },
  });
  const result = await trainer.train();
  const last = result.evaluations.at(-1);
  const window = Math.max(1, Math.round(steps / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const thetaStart = mean(result.history.slice(0, window).map((m) => m.thetaY));
  const thetaEnd = mean(result.history.slice(-window).map((m) => m.thetaY));
  const verification = last?.sets[0]?.verification;
  const row = {
    margin: name,
    options: trainer.margin.options,
    accuracy: verification?.accuracy.mean,
    std: verification?.accuracy.std,
    auc: verification?.auc,
    thetaYStart: thetaStart,
    thetaYEnd: thetaEnd,
    lossEnd: mean(result.history.slice(-window).map((m) => m.loss)),
    statistics: last?.statistics,
    seconds: (Date.now() - started) / 1000,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
  trainer.dispose();
}
const out = args.get('out');
if (out) writeFileSync(out, JSON.stringify({ data: dataArg, steps, size, seed, scale, channels, embeddingSize, backend: tf.getBackend(), rows }, null, 2));
console.log('| margin | accuracy (10-fold) | AUC | θ_y first → last 10% of steps (°) | seconds |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const f = (x: unknown, d = 2) => (typeof x === 'number' ? x.toFixed(d) : '—');
  console.log(`| ${r.margin} | ${f(100 * (r.accuracy as number))}% ± ${f(100 * (r.std as number))} | ${f(r.auc, 3)} | ${f(r.thetaYStart, 1)} → ${f(r.thetaYEnd, 1)} | ${f(r.seconds, 0)} |`);
}

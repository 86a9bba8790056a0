/// <reference lib="webworker" />
// The toy experiment's training loop, off the page's main thread: TensorFlow.js runs here, the
// page only draws the snapshots this worker posts.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createMargin, registerMargin } from '@arcface/margins';
import { createRng } from '@arcface/data';
import { selectPageBackend } from '../backend/select-page-backend';
import { customMarginFactory } from '../custom/custom-margin';
import { compileToyStep, createToyFaces, measureToyGeometry, ToyNet, type CompiledToyStep, type ToyFaces } from '@arcface/trainer/toy';
import type { ToyCommand, ToyEvent, ToySideSnapshot } from './toy-protocol';

const IDENTITIES = 8;
const IMAGES_PER_IDENTITY = 40;
const EVAL_PER_IDENTITY = 24;
/** Small faces, mild variation: a two-layer network separates 8 people in a few hundred steps. */
const IMAGE_SIZE = 16;
const DIFFICULTY = 0.3;
const BATCH = 64;
const HIDDEN = 64;
/** Training stops by itself here; the geometry has settled long before. */
const MAX_STEPS = 3000;
/** How often the page gets a snapshot. */
const SNAPSHOT_MS = 120;

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: ToyEvent, transfer: Transferable[] = []): void => scope.postMessage(event, transfer);

let ready: Promise<void> | undefined;
let faces: ToyFaces | undefined;
let inputs: tf.Tensor2D | undefined;
let evalInputs: tf.Tensor2D | undefined;
let evalLabels: Int32Array | undefined;
let models: [ToyNet, ToyNet] | undefined;
/** On WebGPU, each side's step compiled into one submission (undefined: that side trains eagerly). */
let compiledSteps: Array<CompiledToyStep | undefined> = [undefined, undefined];
/** Adam's learning rate: slower than the report's toy, so the page can show the clusters forming. */
const LEARNING_RATE = 0.01;
let pending: [number[], number[]] = [[], []];
let step = 0;
let running = false;
let loopActive = false;
let pickBatch: () => number = Math.random;
let dimension: 2 | 3 = 2;
const unregister = new Map<string, () => void>();

scope.onmessage = (message: MessageEvent<ToyCommand>) => {
  handle(message.data).catch((error: unknown) => {
    running = false;
    const code = (error as { code?: unknown }).code;
    post({ type: 'error', message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) });
  });
};

async function handle(command: ToyCommand): Promise<void> {
  switch (command.type) {
    case 'init':
      ready = (async () => {
        const report = await selectPageBackend({ prefer: command.backend, wasmBase: command.wasmBase });
        post({ type: 'backend', report });
      })();
      await ready;
      return;
    case 'configure':
      await ready;
      await configure(command);
      return;
    case 'start':
      running = true;
      if (!loopActive) void loop();
      return;
    case 'pause':
      running = false;
      await snapshot();
      return;
    case 'reset':
      running = false;
      return;
  }
}

async function configure(command: Extract<ToyCommand, { type: 'configure' }>): Promise<void> {
  running = false;
  // A step in flight still uses the old nets and compiled steps: let it finish first.
  while (loopActive) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const spec of command.custom) {
    unregister.get(spec.name)?.();
    unregister.set(spec.name, registerMargin(spec.name, customMarginFactory(spec), { override: true }));
  }
  faces ??= createToyFaces({ identities: IDENTITIES, imagesPerIdentity: IMAGES_PER_IDENTITY, size: IMAGE_SIZE, seed: 7, difficulty: DIFFICULTY });
  if (inputs === undefined) {
    inputs = tf.tensor2d(faces.inputs, [faces.labels.length, faces.inputSize]);
    const evalIndices: number[] = [];
    for (let c = 0; c < IDENTITIES; c += 1) {
      for (let k = 0; k < EVAL_PER_IDENTITY; k += 1) evalIndices.push(c * IMAGES_PER_IDENTITY + k);
    }
    evalInputs = tf.tidy(() => tf.gather(inputs as tf.Tensor2D, tf.tensor1d(evalIndices, 'int32')) as tf.Tensor2D);
    evalLabels = Int32Array.from(evalIndices.map((i) => (faces as ToyFaces).labels[i] as number));
  }
  compiledSteps.forEach((compiled) => compiled?.dispose());
  compiledSteps = [undefined, undefined];
  models?.forEach((model) => model.dispose());
  dimension = command.dimension;
  const shape = { inputSize: faces.inputSize, hidden: HIDDEN, dimension, classes: IDENTITIES };
  const built = command.sides.map((side) => new ToyNet(shape, { kind: 'margin', margin: createMargin(side.margin, side.options) }, command.seed, LEARNING_RATE)) as [ToyNet, ToyNet];
  // On WebGPU each side trains through the compiled step; a margin without a WGSL form (a
  // custom one) trains eagerly on the same backend.
  if (tf.getBackend() === 'webgpu') compiledSteps = await Promise.all(built.map((model) => compileToyStep(model, BATCH).catch(() => undefined)));
  models = built;
  const rng = createRng(command.seed);
  pickBatch = () => rng.next();
  step = 0;
  pending = [[], []];
  const sample = new Uint8Array(IDENTITIES * faces.inputSize);
  for (let c = 0; c < IDENTITIES; c += 1) {
    const first = c * IMAGES_PER_IDENTITY * faces.inputSize;
    sample.set(faces.pixels.subarray(first, first + faces.inputSize), c * faces.inputSize);
  }
  post({ type: 'ready', labels: (evalLabels as Int32Array).slice(), dimension, faces: { size: faces.size, pixels: sample } }, [sample.buffer]);
  void snapshot();
}

async function loop(): Promise<void> {
  loopActive = true;
  let last = performance.now();
  let stepsSince = 0;
  try {
    while (running && models !== undefined && step < MAX_STEPS) {
      const current = models;
      const indices = Array.from({ length: BATCH }, () => Math.floor(pickBatch() * (faces as ToyFaces).labels.length));
      const values = await trainBoth(current, indices);
      if (current !== models) break; // reconfigured while this step ran
      values.forEach((value, i) => pending[i as 0 | 1].push(value));
      step += 1;
      stepsSince += 1;
      const now = performance.now();
      if (now - last >= SNAPSHOT_MS) {
        await snapshot(stepsSince / ((now - last) / 1000));
        last = performance.now();
        stepsSince = 0;
      }
      // Let pause/reset messages in between steps.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (step >= MAX_STEPS) running = false;
    await snapshot();
  } finally {
    loopActive = false;
  }
}

/** One step of both sides on the same batch; the compiled ones read it from host arrays. */
async function trainBoth(current: [ToyNet, ToyNet], indices: readonly number[]): Promise<number[]> {
  const data = faces as ToyFaces;
  const labels = Int32Array.from(indices, (i) => data.labels[i] as number);
  const eager = compiledSteps.some((compiled) => compiled === undefined);
  const x = eager ? tf.tidy(() => tf.gather(inputs as tf.Tensor2D, tf.tensor1d(indices as number[], 'int32')) as tf.Tensor2D) : undefined;
  const y = eager ? tf.tensor1d(labels, 'int32') : undefined;
  let batch: Float32Array | undefined;
  if (compiledSteps.some((compiled) => compiled !== undefined)) {
    const rows = new Float32Array(indices.length * data.inputSize);
    indices.forEach((i, k) => rows.set(data.inputs.subarray(i * data.inputSize, (i + 1) * data.inputSize), k * data.inputSize));
    batch = rows;
  }
  try {
    return await Promise.all(
      current.map(async (model, i) => {
        const compiled = compiledSteps[i];
        if (compiled !== undefined) return compiled.run(batch as Float32Array, labels, step);
        const loss = model.trainStep(x as tf.Tensor2D, y as tf.Tensor1D, step);
        const value = (await loss.data())[0] as number;
        loss.dispose();
        return value;
      }),
    );
  } finally {
    if (x !== undefined) x.dispose();
    if (y !== undefined) y.dispose();
  }
}

async function snapshot(stepsPerSecond = 0): Promise<void> {
  if (models === undefined || evalInputs === undefined || evalLabels === undefined) return;
  const current = models;
  const sides = await Promise.all(
    current.map(async (model, i): Promise<ToySideSnapshot> => {
      const [features, centers] = tf.tidy(() => {
        const unit = (t: tf.Tensor2D) => tf.div(t, tf.add(tf.norm(t, 'euclidean', 1, true), 1e-12));
        return [unit(model.embed(evalInputs as tf.Tensor2D)), unit(model.centers)];
      });
      const points = (await features.data()) as Float32Array;
      const centerValues = (await centers.data()) as Float32Array;
      tf.dispose([features, centers]);
      return {
        margin: model.head.kind === 'margin' ? model.head.margin.name : 'softmax',
        path: compiledSteps[i] === undefined ? 'eager' : 'compiled',
        losses: pending[i as 0 | 1],
        points,
        centers: centerValues,
        geometry: measureToyGeometry(points, evalLabels as Int32Array, dimension),
      };
    }),
  );
  if (current !== models) return;
  pending = [[], []];
  post(
    { type: 'progress', step, running, stepsPerSecond, sides: sides as [ToySideSnapshot, ToySideSnapshot] },
    sides.flatMap((side) => [side.points.buffer, side.centers.buffer]),
  );
}

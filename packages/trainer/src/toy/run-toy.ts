import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import { centreInputs, createRng } from '@arcface/data';
import { createMargin, type MarginFn } from '@arcface/margins';

import { measureToyGeometry } from './geodesic-gap';
import { createToyFaces } from './toy-faces';
import { ToyNet, type ToyHead } from './toy-net';
import type { ToyImages, ToyPanelReport, ToyReport } from './toy-report';

/**
 * Settings with which ArcFace (m = 0.5, s = 16) opens the paper's gap between 8 identities.
 * 8 classes on the circle are 45° apart and m = 0.5 rad takes 28.6° of that, so each class
 * must fit in about 16°: it takes faces that vary mildly (difficulty 0.3) at 16×16 on one
 * backdrop, a network free of normalisation layers, Adam, and enough steps for the clusters
 * to tighten after they separate.
 */
export const TOY_DEFAULTS = {
  identities: 8,
  imagesPerIdentity: 40,
  size: 16,
  difficulty: 0.3,
  hidden: 64,
  steps: 1000,
  batchSize: 64,
  learningRate: 0.02,
  m: 0.5,
  s: 16,
} as const;

export interface ToyOptions {
  readonly seed: number;
  /** Adam steps per panel [1000]. */
  readonly steps?: number;
  readonly batchSize?: number;
  /** Adam's learning rate [0.02]. */
  readonly learningRate?: number;
  /** Identities of the toy faces [8] (ignored with `data`). */
  readonly identities?: number;
  readonly imagesPerIdentity?: number;
  /** Side of the toy faces in pixels [16]. */
  readonly size?: number;
  /** Variation of the toy faces, 0…1 [0.3]. */
  readonly difficulty?: number;
  /** Width of the two ReLU layers [64]. */
  readonly hidden?: number;
  /** The margin compared with plain softmax. Default ArcFace, m = 0.5, s = 16. */
  readonly margin?: MarginFn;
  /**
   * Images to use instead of the toy's own plain-backdrop synthetic faces (flattened and
   * centred on their mean here). Images with a new backdrop in each one hide the faces from
   * a network this small: the toy's own faces are what shows the paper's finding.
   */
  readonly data?: ToyImages;
  readonly onStep?: (panel: number, step: number, loss: number) => void;
}

/**
 * The paper's toy experiment (Fig. 3): the same small network (two ReLU layers, 2-D
 * features) is trained from the same start once with plain softmax and once with a margin
 * (ArcFace), on 8 synthetic identities in front of one plain backdrop; the features of every
 * training image are measured on the circle: the geodesic gap between the nearest classes
 * (negative where they overlap) and the intra-class spread. Needs the gradient functions of
 * tfjs registered (tfjs-layers loaded, as the CLI does).
 *
 * @example
 * ```ts
 * const toy = await runToyExperiment({ seed: 1 });
 * toy.panels[1].gapDegrees; // the gap ArcFace opened between the nearest classes, ~20° and more
 * ```
 */
export async function runToyExperiment(options: ToyOptions): Promise<ToyReport> {
  const steps = options.steps ?? TOY_DEFAULTS.steps;
  const learningRate = options.learningRate ?? TOY_DEFAULTS.learningRate;
  const hidden = options.hidden ?? TOY_DEFAULTS.hidden;
  if (!Number.isInteger(steps) || steps < 0) throw new InvalidArgumentError(`runToyExperiment: steps must be a non-negative integer, got ${steps}`);
  if (!(learningRate > 0)) throw new InvalidArgumentError(`runToyExperiment: learningRate must be positive, got ${learningRate}`);
  const { inputs, labels, classes, inputSize } = await toyInputs(options);
  const count = labels.length;
  const batchSize = Math.min(options.batchSize ?? TOY_DEFAULTS.batchSize, count);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`runToyExperiment: batchSize must be a positive integer, got ${batchSize}`);
  const margin = options.margin ?? createMargin('additive-angular', { m: TOY_DEFAULTS.m, s: TOY_DEFAULTS.s });
  const sides: Array<{ label: string; head: ToyHead; spec: ToyPanelReport['margin'] }> = [
    { label: 'Softmax', head: { kind: 'softmax' }, spec: { name: 'softmax', options: {} } },
    { label: 'ArcFace', head: { kind: 'margin', margin }, spec: { name: margin.name, options: { ...margin.options } } },
  ];
  const x = tf.tensor2d(inputs, [count, inputSize]);
  const panels: ToyPanelReport[] = [];
  try {
    for (const [k, side] of sides.entries()) {
      // The same seed: the same start and the same batches for both heads.
      const net = new ToyNet({ inputSize, hidden, dimension: 2, classes }, side.head, options.seed, learningRate);
      try {
        const order = batchOrder(count, batchSize, steps, options.seed);
        for (let step = 0; step < steps; step += 1) {
          const picked = order.subarray(step * batchSize, (step + 1) * batchSize);
          const xb = tf.tidy(() => tf.gather(x, tf.tensor1d(picked, 'int32')) as tf.Tensor2D);
          const yb = tf.tensor1d(Int32Array.from(picked, (i) => labels[i] as number), 'int32');
          const loss = net.trainStep(xb, yb, step);
          tf.dispose([xb, yb]);
          if (options.onStep !== undefined) options.onStep(k, step, (await loss.data())[0] as number);
          loss.dispose();
        }
        const featureTensor = net.embed(x);
        const e = await featureTensor.data();
        featureTensor.dispose();
        const w = await net.centers.data();
        const b = net.bias === undefined ? undefined : await net.bias.data();
        panels.push(panel(side.label, side.spec, side.head.kind, e, w, b, labels, classes));
      } finally {
        net.dispose();
      }
    }
  } finally {
    x.dispose();
  }
  return { identities: classes, samplesPerIdentity: Math.round(count / classes), steps, panels };
}

/** The toy's inputs: its own plain-backdrop faces, or the given images flattened and centred. */
async function toyInputs(options: ToyOptions): Promise<{ inputs: Float32Array; labels: Int32Array; classes: number; inputSize: number }> {
  if (options.data === undefined) {
    const faces = createToyFaces({
      identities: options.identities ?? TOY_DEFAULTS.identities,
      imagesPerIdentity: options.imagesPerIdentity ?? TOY_DEFAULTS.imagesPerIdentity,
      size: options.size ?? TOY_DEFAULTS.size,
      difficulty: options.difficulty ?? TOY_DEFAULTS.difficulty,
      seed: options.seed,
    });
    return { inputs: faces.inputs, labels: faces.labels, classes: faces.identities, inputSize: faces.inputSize };
  }
  const { images, labels, classes } = options.data;
  const [count, height, width, channels] = images.shape;
  const inputSize = height * width * channels;
  const inputs = ((await images.data()) as Float32Array).slice();
  centreInputs(inputs, count, inputSize);
  return { inputs, labels, classes, inputSize };
}

/** Indices of `steps` batches: shuffled epochs, one after the other, seeded. */
function batchOrder(count: number, batchSize: number, steps: number, seed: number): Int32Array {
  const rng = createRng(seed);
  const order = new Int32Array(steps * batchSize);
  const deck = Int32Array.from({ length: count }, (_, i) => i);
  let at = count;
  for (let k = 0; k < order.length; k += 1) {
    if (at === count) {
      // Fisher–Yates shuffle at the start of every epoch.
      for (let i = count - 1; i > 0; i -= 1) {
        const j = Math.floor(rng.next() * (i + 1));
        const t = deck[i] as number;
        deck[i] = deck[j] as number;
        deck[j] = t;
      }
      at = 0;
    }
    order[k] = deck[at] as number;
    at += 1;
  }
  return order;
}

/** Measures one side: geometry on the circle and training accuracy by the head's own score. */
function panel(
  label: string,
  margin: ToyPanelReport['margin'],
  head: ToyHead['kind'],
  e: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  labels: Int32Array,
  classes: number,
): ToyPanelReport {
  const features = Array.from(labels, (l, i) => ({ x: e[2 * i] as number, y: e[2 * i + 1] as number, label: l }));
  const centers = Array.from({ length: classes }, (_, c) => ({ x: w[2 * c] as number, y: w[2 * c + 1] as number, label: c }));
  const geometry = measureToyGeometry(e, labels, 2);
  // Nearest class by the head's own score: W·x + b for softmax, the cosine for the margin head.
  let correct = 0;
  for (const f of features) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    centers.forEach((c, j) => {
      const dot = f.x * c.x + f.y * c.y;
      const score = head === 'softmax' ? dot + ((bias?.[j] as number | undefined) ?? 0) : dot / (Math.hypot(c.x, c.y) * Math.hypot(f.x, f.y));
      if (score > bestScore) {
        bestScore = score;
        best = j;
      }
    });
    if (best === f.label) correct += 1;
  }
  return { label, margin, features, centers, gapDegrees: geometry.gapDegrees, intraDegrees: geometry.intraDegrees, accuracy: correct / features.length };
}

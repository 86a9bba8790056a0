import { cpus, platform, arch } from 'node:os';

import { createBackbone } from '@arcface/backbones';
import { createMargin } from '@arcface/margins';

import * as tf from '@tensorflow/tfjs-core';

import type { ClassCountStudy, DemoReport, MarginRunReport } from '../report/demo-report';
import { runToyExperiment } from '@arcface/trainer/toy';
import { meanNearestAngle, minimumPairAngle, randomCentresMinimumAngle } from './centre-angles';
import type { DemoData, ImageSet } from './demo-data';
import type { DemoSettings } from './demo-settings';
import { demoBackboneOptions, loadSeedData, runDemoMargin, seedPairs } from './run-margin';
import { quantile } from './statistics';
import { summarizeRuns } from './summarize-runs';
import { trainDemoMargin } from './train-demo-margin';
import { runCellsInWorkers, type DemoWorkers } from './worker-pool';

/** Progress of a long demo, for a progress bar or a log. */
export interface DemoProgress {
  /** A phase starts with `total` units of work. */
  start(phase: string, total: number): void;
  /** `done` units of the current phase are finished. */
  update(done: number, detail?: string): void;
  stop(): void;
  /** A line for the user (an estimate, a result). */
  log(message: string): void;
}

export interface RunDemoOptions {
  readonly settings: DemoSettings;
  /** A face folder (`<identity>/<image>`) instead of the synthetic faces. */
  readonly data?: string;
  readonly backend: string;
  readonly backendNote?: string;
  readonly command: string;
  readonly progress?: DemoProgress;
  /** Train the (seed, margin) cells in worker processes; absent or count 1: in this process. */
  readonly workers?: DemoWorkers;
}

function imageCount(data: DemoData): { train: number; heldOut: number } {
  return { train: data.train.labels.length, heldOut: data.heldOut.labels.length };
}

/** The images of the first `classes` identities of a set (labels are already 0…C−1). */
function firstClasses(set: ImageSet, classes: number): ImageSet {
  const indices = Array.from(set.labels.keys()).filter((i) => (set.labels[i] as number) < classes);
  return { images: tf.gather(set.images, indices), labels: Int32Array.from(indices, (i) => set.labels[i] as number), classes };
}


/**
 * Runs the demo: trains the same backbone with every margin of the settings, evaluates each on
 * held-out identities, runs the toy experiment, and returns the report (all numbers measured
 * in this run).
 *
 * @example
 * ```ts
 * const report = await runDemo({ settings: demoSettings({ quick: true }), backend: 'wasm', command: 'arcface demo --quick' });
 * ```
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoReport> {
  const started = performance.now();
  const { settings } = options;
  const progress = options.progress;
  const size = settings.imageSize;
  const loadData = (seed: number): Promise<DemoData> => loadSeedData(settings, seed, options.data);
  const seeds = settings.seeds;
  const firstSeed = seeds[0] as number;
  let data: DemoData | undefined = await loadData(firstSeed);
  const counts = imageCount(data);
  const datasetInfo = {
    source: data.source,
    imageShape: [size, size, 3] as [number, number, number],
    trainIdentities: data.train.classes,
    trainImages: counts.train,
    heldOutIdentities: data.heldOut.classes,
    heldOutImages: counts.heldOut,
  };
  const backboneOptions = (seed: number) => demoBackboneOptions(settings, seed);
  const margins = settings.margins.map((m) => ({ ...m, fn: createMargin(m.name, m.options) }));
  const batchSize = Math.min(settings.batchSize, counts.train);
  const parallel = Math.max(1, Math.min(options.workers?.count ?? 1, seeds.length * margins.length));
  let runs: MarginRunReport[] = [];
  let classCounts: ClassCountStudy | undefined;
  try {
    // Time a few steps first, so the user knows how long the whole run takes before it starts.
    // The first steps compile kernels and warm the JIT; the median interval after them is the
    // step time (one slow interval, another process taking the core, does not move it).
    const probe = createBackbone(settings.backbone, backboneOptions(firstSeed));
    const stamps: number[] = [];
    await trainDemoMargin({
      model: probe,
      train: data.train,
      margin: margins[0]?.fn ?? createMargin('softmax-normalized'),
      steps: 7,
      batchSize,
      // The probe model is thrown away: the rate only has to be a valid one.
      learningRate: settings.learningRate,
      seed: firstSeed,
      thetaEvery: 0,
      augment: settings.augment,
      onStep: () => stamps.push(performance.now()),
    });
    probe.dispose();
    const intervals = stamps.slice(3).map((t, i) => t - (stamps[i + 2] as number)).sort((a, b) => a - b);
    const perStep = quantile(intervals, 0.5);
    const classCountSteps = settings.classCounts.enabled ? settings.classCounts.counts.filter((c) => c <= data!.train.classes).length * settings.classCounts.steps : 0;
    // Each run also embeds the held-out and training images and takes its snapshots: about
    // 15 steps' worth on this network (measured). A toy step costs about 1/20 of a backbone step.
    const toySteps = settings.toy.enabled ? 2 * settings.toy.steps : 0;
    // Workers share the grid; the centre-angle study and the toy run afterwards in this process.
    const gridSteps = seeds.length * margins.length * (settings.steps + 15);
    const estimateMs = perStep * (gridSteps / parallel + classCountSteps) + 0.05 * perStep * toySteps + (parallel > 1 ? 15_000 : 0);
    progress?.log(`Recipe: ${settings.recipe.name} (${settings.recipe.description}).`);
    if (settings.quick) progress?.log('This is a smoke test (--quick): it checks that every part runs and makes no claim about the margins.');
    progress?.log(
      `Training ${margins.length} margins × ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}) × ${settings.steps} steps ` +
        `(batch ${batchSize}, ${settings.backbone}, ${size}×${size}) on ${counts.train} images of ${data.train.classes} identities; ` +
        `${data.heldOut.classes} identities held out${parallel > 1 ? `, in ${parallel} worker processes` : ''}. ` +
        `Estimated time: ${Math.ceil(estimateMs / 60_000)} min (${(perStep / 1000).toFixed(2)} s per step on ${options.backend}).`,
    );
    const report = (run: MarginRunReport): void =>
      progress?.log(
        `seed ${run.seed} · ${run.label}: held-out accuracy ${(100 * run.verification.accuracy.mean).toFixed(2)}% ± ${(100 * run.verification.accuracy.std).toFixed(2)} (folds), ` +
          `AUC ${run.verification.auc.toFixed(4)}`,
      );

    if (parallel > 1 && options.workers !== undefined) {
      const cells = seeds.flatMap((seed) => margins.map((_, marginIndex) => ({ seed, marginIndex })));
      const total = cells.length * settings.steps;
      let done = 0;
      progress?.start(`${cells.length} runs in ${parallel} workers`, total);
      runs = await runCellsInWorkers(
        { ...options.workers, count: parallel },
        { type: 'init', settings, ...(options.data === undefined ? {} : { data: options.data }), backend: options.backend },
        cells,
        {
          onStep: () => progress?.update((done += 1)),
          onDone: (run) => {
            progress?.log(`seed ${run.seed} · ${run.label}: held-out accuracy ${(100 * run.verification.accuracy.mean).toFixed(2)}%`);
          },
        },
      );
      progress?.stop();
      if (settings.classCounts.enabled) classCounts = await classCountStudy(data, firstSeed);
    }

    for (const seed of parallel > 1 ? [] : seeds) {
      data ??= await loadData(seed);
      const seedData: DemoData = data;
      const pairs = seedPairs(settings, seedData, seed);
      for (const [marginIndex, margin] of margins.entries()) {
        progress?.start(`seed ${seed} · ${margin.label}`, settings.steps);
        const run = await runDemoMargin({ settings, seed, marginIndex, data: seedData, pairs, onStep: (step, loss) => progress?.update(step + 1, `loss ${loss.toFixed(3)}`) });
        progress?.stop();
        runs.push(run);
        report(run);
      }
      if (classCounts === undefined && settings.classCounts.enabled) classCounts = await classCountStudy(seedData, seed);
      seedData.dispose();
      data = undefined;
    }
  } finally {
    data?.dispose();
  }

  const { summary, comparison } = summarizeRuns(runs, settings.margins);

  let toy: DemoReport['toy'];
  if (settings.toy.enabled) {
    // The toy renders its own faces (plain backdrop, 16×16): with the demo's varied backdrops
    // a 2-D embedding learns the background instead of the face.
    progress?.start('toy: softmax vs ArcFace', 2 * settings.toy.steps);
    toy = await runToyExperiment({
      steps: settings.toy.steps,
      seed: firstSeed,
      onStep: (panel, step) => progress?.update(panel * settings.toy.steps + step + 1),
    });
    progress?.stop();
    progress?.log(`Toy experiment: nearest-class gap ${toy.panels.map((p) => `${p.label} ${p.gapDegrees.toFixed(1)}°`).join(', ')}`);
  }

  const cpuList = cpus();
  return {
    format: 'arcface-demo-report',
    version: 2,
    createdAt: new Date().toISOString(),
    durationMs: performance.now() - started,
    command: options.command,
    environment: {
      backend: options.backend,
      ...(options.backendNote === undefined ? {} : { backendNote: options.backendNote }),
      node: process.version,
      platform: `${platform()} ${arch()}`,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    },
    dataset: datasetInfo,
    settings: {
      quick: settings.quick,
      recipe: settings.recipe,
      seeds,
      augment: JSON.parse(JSON.stringify(settings.augment)) as DemoReport['settings']['augment'],
      backbone: { name: settings.backbone, options: JSON.parse(JSON.stringify({ ...backboneOptions(firstSeed), seed: undefined })) as DemoReport['settings']['backbone']['options'] },
      steps: settings.steps,
      batchSize,
      optimizer: { name: 'sgd', momentum: 0.9, learningRate: settings.learningRate, weightDecay: settings.weightDecay, schedule: 'warm-up + cosine' },
      seed: firstSeed,
    },
    runs,
    summary,
    ...(comparison === undefined ? {} : { comparison }),
    ...(classCounts === undefined ? {} : { classCounts }),
    ...(toy === undefined ? {} : { toy }),
  };

  /**
   * The appendix claim at our scale: ArcFace trained on the first C training identities of
   * one seed, for each C; the smallest angle between its trained centres beside the expected
   * smallest angle of C random directions in the same dimension.
   */
  async function classCountStudy(seedData: DemoData, seed: number): Promise<ClassCountStudy> {
    const arc = margins.find((m) => m.name === 'additive-angular') ?? margins[0];
    const fn = arc?.fn ?? createMargin('additive-angular');
    const points: Array<{ classes: number; trained: number; random: number; trainedMeanNearest: number }> = [];
    const counts = settings.classCounts.counts.filter((c) => c >= 2 && c <= seedData.train.classes);
    for (const classes of counts) {
      const subset = firstClasses(seedData.train, classes);
      const model = createBackbone(settings.backbone, backboneOptions(seed));
      try {
        progress?.start(`centre angles · ${classes} classes`, settings.classCounts.steps);
        const run = await trainDemoMargin({
          model,
          train: subset,
          margin: fn,
          steps: settings.classCounts.steps,
          batchSize: Math.min(batchSize, subset.labels.length),
          learningRate: settings.learningRate,
          weightDecay: settings.weightDecay,
          augment: settings.augment,
          seed,
          thetaEvery: 0,
          onStep: (step) => progress?.update(step + 1),
        });
        progress?.stop();
        points.push({
          classes,
          trained: minimumPairAngle(run.centers, classes, run.embeddingSize),
          trainedMeanNearest: meanNearestAngle(run.centers, classes, run.embeddingSize),
          random: randomCentresMinimumAngle(classes, run.embeddingSize, { draws: 200, seed }),
        });
      } finally {
        model.dispose();
        subset.images.dispose();
      }
    }
    if (points.length > 0) {
      progress?.log(`Smallest angle between ${arc?.label ?? 'ArcFace'} centres: ${points.map((p) => `${p.classes} classes ${p.trained.toFixed(1)}° (random ${p.random.toFixed(1)}°)`).join(', ')}`);
    }
    return { label: arc?.label ?? 'ArcFace', margin: { name: fn.name, options: { ...fn.options } }, steps: settings.classCounts.steps, embeddingSize: settings.embeddingSize, points };
  }
}

import { cpus, platform, arch } from 'node:os';

import { createBackbone } from '@arcface/backbones';
import { makeVerificationPairs } from '@arcface/data';
import { createMargin } from '@arcface/margins';

import type { DemoReport, MarginRunReport } from '../report/demo-report';
import { runToyExperiment } from '@arcface/trainer/toy';
import { folderDemoData, syntheticDemoData, type DemoData } from './demo-data';
import type { DemoSettings } from './demo-settings';
import { embedImages } from './embed-images';
import { angleStatistics, verifyPairs } from './evaluate-held-out';
import { trainDemoMargin } from './train-demo-margin';

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
}

function imageCount(data: DemoData): { train: number; heldOut: number } {
  return { train: data.train.labels.length, heldOut: data.heldOut.labels.length };
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
  const data =
    options.data === undefined
      ? syntheticDemoData({
          trainIdentities: settings.trainIdentities,
          heldOutIdentities: settings.heldOutIdentities,
          imagesPerIdentity: settings.imagesPerIdentity,
          size,
          seed: settings.seed,
        })
      : await folderDemoData(options.data, { size, heldOutIdentities: settings.heldOutIdentities, seed: settings.seed });
  const counts = imageCount(data);
  try {
    const pairs = makeVerificationPairs(data.heldOut.labels, { folds: 10, pairsPerFold: settings.pairsPerFold, seed: settings.seed });
    const backboneOptions = { inputShape: [size, size, 3] as [number, number, number], embeddingSize: settings.embeddingSize, seed: settings.seed };
    const margins = settings.margins.map((m) => ({ ...m, fn: createMargin(m.name, m.options) }));
    const batchSize = Math.min(settings.batchSize, counts.train);

    // Time a few steps first, so the user knows how long the whole run takes before it starts.
    const probe = createBackbone(settings.backbone, backboneOptions);
    // The first step compiles kernels; time the two after it.
    const stamps: number[] = [];
    await trainDemoMargin({
      model: probe,
      train: data.train,
      margin: margins[0]?.fn ?? createMargin('softmax-normalized'),
      steps: 3,
      batchSize,
      // The probe model is thrown away: the rate only has to be a valid one.
      learningRate: settings.learningRate,
      seed: settings.seed,
      thetaEvery: 0,
      onStep: () => stamps.push(performance.now()),
    });
    probe.dispose();
    const perStep = ((stamps[2] as number) - (stamps[0] as number)) / 2;
    const toySteps = settings.toy.enabled ? 2 * settings.toy.steps : 0;
    // A toy step (a 2-layer net on 16×16 faces) costs about 1/20 of a backbone step (measured on wasm).
    const estimateMs = perStep * margins.length * (settings.steps * 1.1 + 10) + 0.05 * perStep * toySteps;
    progress?.log(
      `Training ${margins.length} margins × ${settings.steps} steps (batch ${batchSize}, ${settings.backbone}, ${size}×${size}) ` +
        `on ${counts.train} images of ${data.train.classes} identities; ${data.heldOut.classes} identities held out. ` +
        `Estimated time: ${Math.ceil(estimateMs / 60_000)} min (${(perStep / 1000).toFixed(2)} s per step on ${options.backend}).`,
    );

    const runs: MarginRunReport[] = [];
    for (const margin of margins) {
      const model = createBackbone(settings.backbone, backboneOptions);
      try {
        progress?.start(`${margin.label}`, settings.steps);
        const run = await trainDemoMargin({
          model,
          train: data.train,
          margin: margin.fn,
          steps: settings.steps,
          batchSize,
          learningRate: settings.learningRate,
          weightDecay: settings.weightDecay,
          flip: true,
          seed: settings.seed,
          onStep: (step, loss) => progress?.update(step + 1, `loss ${loss.toFixed(3)}`),
        });
        progress?.stop();
        const held = await embedImages(model, data.heldOut.images, { flipSum: true });
        const verification = verifyPairs(held.data, held.size, pairs);
        const trained = await embedImages(model, data.train.images);
        const angles = await angleStatistics(trained.data, trained.size, data.train.labels, data.train.classes, run.centers);
        const heldAngles = await angleStatistics(held.data, held.size, data.heldOut.labels, data.heldOut.classes);
        runs.push({
          label: margin.label,
          margin: { name: margin.fn.name, options: { ...margin.fn.options } },
          training: { steps: settings.steps, batchSize, durationMs: run.durationMs, loss: run.loss, theta: run.theta },
          verification,
          angles,
          heldOutAngles: { intra: heldAngles.intra, inter: heldAngles.inter },
        });
        progress?.log(
          `${margin.label}: held-out accuracy ${(100 * verification.accuracy.mean).toFixed(2)}% ± ${(100 * verification.accuracy.std).toFixed(2)}, ` +
            `TAR@FAR=1e-3 ${(100 * verification.tarAtFar.tar.mean).toFixed(2)}%, AUC ${verification.auc.toFixed(4)}`,
        );
      } finally {
        model.dispose();
      }
    }

    let toy: DemoReport['toy'];
    if (settings.toy.enabled) {
      // The toy renders its own faces (plain backdrop, 16×16): with the demo's varied backdrops
      // a 2-D embedding learns the background instead of the face.
      progress?.start('toy: softmax vs ArcFace', 2 * settings.toy.steps);
      toy = await runToyExperiment({
        steps: settings.toy.steps,
        seed: settings.seed,
        onStep: (panel, step) => progress?.update(panel * settings.toy.steps + step + 1),
      });
      progress?.stop();
      progress?.log(`Toy experiment: nearest-class gap ${toy.panels.map((p) => `${p.label} ${p.gapDegrees.toFixed(1)}°`).join(', ')}`);
    }

    const cpuList = cpus();
    return {
      format: 'arcface-demo-report',
      version: 1,
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
      dataset: {
        source: data.source,
        imageShape: [size, size, 3],
        trainIdentities: data.train.classes,
        trainImages: counts.train,
        heldOutIdentities: data.heldOut.classes,
        heldOutImages: counts.heldOut,
      },
      settings: {
        quick: settings.quick,
        backbone: { name: settings.backbone, options: { inputShape: [size, size, 3], embeddingSize: settings.embeddingSize, seed: settings.seed } },
        steps: settings.steps,
        batchSize,
        optimizer: { name: 'sgd', momentum: 0.9, learningRate: settings.learningRate, weightDecay: settings.weightDecay, schedule: 'warm-up + cosine' },
        seed: settings.seed,
      },
      runs,
      ...(toy === undefined ? {} : { toy }),
    };
  } finally {
    data.dispose();
  }
}

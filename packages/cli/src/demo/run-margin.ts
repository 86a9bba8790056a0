import { createBackbone } from '@arcface/backbones';
import { makeVerificationPairs, type VerificationPairs } from '@arcface/data';
import { createMargin } from '@arcface/margins';

import type { MarginRunReport } from '../report/demo-report';
import { folderDemoData, syntheticDemoData, type DemoData } from './demo-data';
import type { DemoSettings } from './demo-settings';
import { embedImages } from './embed-images';
import { angleStatistics, verifyPairs } from './evaluate-held-out';
import { trainDemoMargin } from './train-demo-margin';

/** The data of one seed: synthetic faces drawn by the seed, or a face folder split by it. */
export function loadSeedData(settings: DemoSettings, seed: number, folder?: string): Promise<DemoData> {
  const size = settings.imageSize;
  return folder === undefined
    ? Promise.resolve(
        syntheticDemoData({
          trainIdentities: settings.trainIdentities,
          heldOutIdentities: settings.heldOutIdentities,
          imagesPerIdentity: settings.imagesPerIdentity,
          size,
          seed,
          difficulty: settings.difficulty,
          conditions: settings.conditions,
          backdrop: settings.backdrop,
        }),
      )
    : folderDemoData(folder, { size, heldOutIdentities: settings.heldOutIdentities, seed });
}

/** The held-out pairs of one seed (10 folds). */
export function seedPairs(settings: DemoSettings, data: DemoData, seed: number): VerificationPairs {
  return makeVerificationPairs(data.heldOut.labels, { folds: 10, pairsPerFold: settings.pairsPerFold, seed });
}

/** The backbone options of one seed's runs. */
export function demoBackboneOptions(settings: DemoSettings, seed: number) {
  const size = settings.imageSize;
  return { inputShape: [size, size, 3] as [number, number, number], embeddingSize: settings.embeddingSize, seed, ...settings.backboneOptions };
}

/**
 * One cell of the demo's grid: margin `marginIndex` of the settings trained on one seed's data
 * (initial weights and batch order from the seed), then scored on the seed's held-out pairs.
 * The same function runs in the demo's process and in its worker processes, so both give the
 * same numbers.
 *
 * @example
 * ```ts no-run
 * const run = await runDemoMargin({ settings, seed: 1, marginIndex: 0, data, pairs: seedPairs(settings, data, 1) });
 * ```
 */
export async function runDemoMargin(input: {
  readonly settings: DemoSettings;
  readonly seed: number;
  readonly marginIndex: number;
  readonly data: DemoData;
  readonly pairs: VerificationPairs;
  readonly onStep?: (step: number, loss: number) => void;
}): Promise<MarginRunReport> {
  const { settings, seed, data, pairs } = input;
  const spec = settings.margins[input.marginIndex];
  if (spec === undefined) throw new RangeError(`margin index ${input.marginIndex} is outside the ${settings.margins.length} margins of the settings`);
  const fn = createMargin(spec.name, spec.options);
  const batchSize = Math.min(settings.batchSize, data.train.labels.length);
  const thetaEvery = Math.max(1, Math.ceil(settings.steps / Math.max(1, settings.snapshots)));
  const model = createBackbone(settings.backbone, demoBackboneOptions(settings, seed));
  try {
    const run = await trainDemoMargin({
      model,
      train: data.train,
      margin: fn,
      steps: settings.steps,
      batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      augment: settings.augment,
      seed,
      thetaEvery,
      ...(input.onStep === undefined ? {} : { onStep: input.onStep }),
    });
    const held = await embedImages(model, data.heldOut.images, { flipSum: true });
    const verification = verifyPairs(held.data, held.size, pairs);
    const trained = await embedImages(model, data.train.images);
    const angles = await angleStatistics(trained.data, trained.size, data.train.labels, data.train.classes, run.centers);
    const heldAngles = await angleStatistics(held.data, held.size, data.heldOut.labels, data.heldOut.classes);
    return {
      label: spec.label,
      seed,
      margin: { name: fn.name, options: { ...fn.options } },
      training: { steps: settings.steps, batchSize, durationMs: run.durationMs, loss: run.loss, theta: run.theta, angles: run.angles },
      verification,
      angles,
      heldOutAngles: { intra: heldAngles.intra, inter: heldAngles.inter },
    };
  } finally {
    model.dispose();
  }
}

import type { ToyPanelReport } from '@arcface/trainer/toy';
import { summarizeRuns } from '../../demo/summarize-runs';
import type { DemoReport, MarginRunReport } from '../demo-report';

/**
 * A small, self-consistent report for tests of the writers: three margins on three seeds;
 * curves follow simple closed forms whose parameters differ per run, and accuracy is the
 * margin's quality plus a per-seed offset, so a test can recompute any number it checks.
 * With `quick` it is a one-seed smoke-test report.
 */
export function makeReportFixture(options: { quick?: boolean } = {}): DemoReport {
  const seeds = options.quick === true ? [1] : [1, 2, 3];
  // Seed offsets of accuracy: ArcFace − Norm-Softmax is 0.07, 0.06, 0.08 on seeds 1, 2, 3.
  const offset = (seed: number, k: number): number => [0, -0.01, 0.01][seed - 1]! * (k === 2 ? 0 : 1);
  const margins: Array<[string, string, Record<string, number>, number]> = [
    ['ArcFace', 'additive-angular', { m: 0.5, s: 32 }, 0.95],
    ['CosFace', 'additive-cosine', { m: 0.35, s: 32 }, 0.93],
    ['Norm-Softmax', 'softmax-normalized', { s: 32 }, 0.88],
  ];
  const runs: MarginRunReport[] = seeds.flatMap((seed) => margins.map(([label, name, marginOptions, baseQuality], k): MarginRunReport => {
    const quality = baseQuality + offset(seed, k);
    const steps = 200;
    const thresholds = Array.from({ length: 400 }, (_, i) => i * 0.01);
    // A ROC of the form TPR = FPR^(1 − quality) lies above the diagonal and reaches (1, 1).
    const fpr = thresholds.map((t) => Math.min(1, (t / 4) ** 2));
    const tpr = fpr.map((f) => f ** (1 - quality));
    return {
      label,
      seed,
      margin: { name, options: marginOptions },
      training: {
        steps,
        batchSize: 64,
        durationMs: 60_000 + 1000 * k,
        loss: Array.from({ length: 21 }, (_, i) => ({ step: i * 10, loss: 12 * Math.exp(-i / (5 + k)) + 0.5 })),
        theta: Array.from({ length: 5 }, (_, i) => {
          const mean = 88 - i * (10 - 2 * k);
          return { step: i * 50, mean, q10: mean - 8, q50: mean, q90: mean + 6 };
        }),
        angles: Array.from({ length: 5 }, (_, i) => ({ step: i * 50, wEc: 88 - i * (12 - 2 * k), wInter: 80 - i, intra: 45 - i * (3 - k), inter: 30 + i * (6 - k) })),
      },
      verification: {
        pairs: 600,
        samePairs: 300,
        folds: 10,
        accuracy: { mean: quality, std: 0.01 + 0.002 * k },
        foldResults: Array.from({ length: 10 }, (_, f) => ({ threshold: 1 + 0.01 * f, accuracy: quality })),
        tarAtFar: { targetFar: 1e-3, tar: { mean: quality - 0.2, std: 0.05 }, far: 0.001 },
        auc: (1 + quality) / 2,
        roc: { fpr, tpr },
      },
      angles: { wEc: 40 - 10 * (2 - k), wInter: 70 + k, intra: 35 + 5 * k, inter: 65 - 3 * k },
      heldOutAngles: { intra: 40 + 5 * k, inter: 55 - 3 * k },
    };
  }));
  const { summary, comparison } = summarizeRuns(runs, margins.map(([label, name]) => ({ label, name })));
  const toyPanel = (label: string, name: string, spread: number): ToyPanelReport => ({
    label,
    margin: { name, options: {} },
    features: Array.from({ length: 80 }, (_, i) => {
      const c = i % 8;
      const a = ((c * 45 + spread * ((i >> 3) / 9 - 0.5)) * Math.PI) / 180;
      return { x: Math.cos(a), y: Math.sin(a), label: c };
    }),
    centers: Array.from({ length: 8 }, (_, c) => ({ x: Math.cos((c * Math.PI) / 4), y: Math.sin((c * Math.PI) / 4), label: c })),
    gapDegrees: 45 - spread,
    intraDegrees: spread / 4,
    accuracy: 1,
  });
  return {
    format: 'arcface-demo-report',
    version: 2,
    createdAt: '2026-11-27T12:00:00.000Z',
    durationMs: 240_000,
    command: options.quick === true ? 'arcface demo --quick' : 'arcface demo',
    environment: { backend: 'cpu', node: 'v20.0.0', platform: 'linux x64', cpus: 2, cpuModel: 'test CPU' },
    dataset: { source: 'synthetic faces (seed 1)', imageShape: [32, 32, 1], trainIdentities: 24, trainImages: 480, heldOutIdentities: 8, heldOutImages: 160 },
    settings: {
      quick: options.quick === true,
      recipe: { name: options.quick === true ? 'quick' : 'synthetic', description: 'test fixture' },
      seeds,
      augment: { flip: 0.5 },
      backbone: { name: 'tiny-cnn', options: { embeddingSize: 64 } },
      steps: 200,
      batchSize: 64,
      optimizer: { name: 'sgd', learningRate: 0.1 },
      seed: 1,
    },
    runs,
    summary,
    ...(comparison === undefined ? {} : { comparison }),
    classCounts: {
      label: 'ArcFace',
      margin: { name: 'additive-angular', options: { m: 0.5, s: 32 } },
      steps: 100,
      embeddingSize: 64,
      points: [4, 8, 16, 32].map((classes) => ({ classes, trained: 100 - 6 * Math.log2(classes), trainedMeanNearest: 104 - 5 * Math.log2(classes), random: 80 - 7 * Math.log2(classes) })),
    },
    toy: { identities: 8, samplesPerIdentity: 10, steps: 100, panels: [toyPanel('Softmax', 'softmax', 50), toyPanel('ArcFace', 'additive-angular', 20)] },
  };
}

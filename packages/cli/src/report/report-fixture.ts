import type { ToyPanelReport } from '@arcface/trainer/toy';
import type { DemoReport, MarginRunReport } from './demo-report';

/**
 * A small, self-consistent report for tests of the writers: curves follow simple closed forms
 * whose parameters differ per run, so a test can recompute any number it checks.
 */
export function makeReportFixture(): DemoReport {
  const margins: Array<[string, string, Record<string, number>, number]> = [
    ['ArcFace', 'additive-angular', { m: 0.5, s: 32 }, 0.95],
    ['CosFace', 'additive-cosine', { m: 0.35, s: 32 }, 0.93],
    ['Norm-Softmax', 'softmax-normalized', { s: 32 }, 0.88],
  ];
  const runs: MarginRunReport[] = margins.map(([label, name, options, quality], k) => {
    const steps = 200;
    const thresholds = Array.from({ length: 400 }, (_, i) => i * 0.01);
    // A ROC of the form TPR = FPR^(1 − quality) lies above the diagonal and reaches (1, 1).
    const fpr = thresholds.map((t) => Math.min(1, (t / 4) ** 2));
    const tpr = fpr.map((f) => f ** (1 - quality));
    return {
      label,
      margin: { name, options },
      training: {
        steps,
        batchSize: 64,
        durationMs: 60_000 + 1000 * k,
        loss: Array.from({ length: 21 }, (_, i) => ({ step: i * 10, loss: 12 * Math.exp(-i / (5 + k)) + 0.5 })),
        theta: Array.from({ length: 5 }, (_, i) => {
          const mean = 88 - i * (10 - 2 * k);
          return { step: i * 50, mean, q10: mean - 8, q50: mean, q90: mean + 6 };
        }),
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
  });
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
    version: 1,
    createdAt: '2026-11-27T12:00:00.000Z',
    durationMs: 240_000,
    command: 'arcface demo --quick',
    environment: { backend: 'cpu', node: 'v20.0.0', platform: 'linux x64', cpus: 2, cpuModel: 'test CPU' },
    dataset: { source: 'synthetic faces (seed 1)', imageShape: [32, 32, 1], trainIdentities: 24, trainImages: 480, heldOutIdentities: 8, heldOutImages: 160 },
    settings: { quick: true, backbone: { name: 'tiny-cnn', options: { embeddingSize: 64 } }, steps: 200, batchSize: 64, optimizer: { name: 'sgd', learningRate: 0.1 }, seed: 1 },
    runs,
    toy: { identities: 8, samplesPerIdentity: 10, steps: 100, panels: [toyPanel('Softmax', 'softmax', 50), toyPanel('ArcFace', 'additive-angular', 20)] },
  };
}


import { createBackbone } from '@arcface/backbones';
import { createMargin, type MarginFn } from '@arcface/margins';

import { embedImages } from '../demo/embed-images';
import type { ImageSet } from '../demo/demo-data';
import { trainRun, type DemoObjective } from '../demo/train-run';
import type { ToyPanelReport, ToyReport } from '../report/demo-report';
import { measureCircleGeometry } from './geodesic-gap';

export interface ToyOptions {
  /** Images of the toy identities (8 in the paper), normalised. */
  readonly data: ImageSet;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** The margin compared with plain softmax. Default ArcFace, m = 0.5, s = 16. */
  readonly margin?: MarginFn;
  readonly onStep?: (panel: number, step: number, loss: number) => void;
}

/**
 * The paper's toy experiment (Fig. 3): the same small network with a 2-D embedding is trained
 * once with plain softmax and once with a margin; features of every training image are taken
 * in inference mode and measured on the circle.
 *
 * @example
 * ```ts
 * const toy = await runToyExperiment({ data, steps: 200, batchSize: 64, learningRate: 0.05, seed: 1 });
 * toy.panels[1].gapDegrees; // the geodesic gap ArcFace opened between the nearest classes
 * ```
 */
export async function runToyExperiment(options: ToyOptions): Promise<ToyReport> {
  const { data } = options;
  const [, height, width, channels] = data.images.shape;
  const margin = options.margin ?? createMargin('additive-angular', { m: 0.5, s: 16 });
  const sides: Array<{ label: string; objective: DemoObjective; spec: ToyPanelReport['margin'] }> = [
    { label: 'Softmax', objective: { kind: 'softmax' }, spec: { name: 'softmax', options: {} } },
    { label: 'ArcFace', objective: { kind: 'margin', margin }, spec: { name: margin.name, options: { ...margin.options } } },
  ];
  const panels: ToyPanelReport[] = [];
  for (const [k, side] of sides.entries()) {
    // The same seed builds the same initial network for both losses.
    const model = createBackbone('mlp', { inputShape: [height, width, channels], embeddingSize: 2, hidden: [128, 64], seed: options.seed });
    try {
      const run = await trainRun({
        model,
        images: data.images,
        labels: data.labels,
        numClasses: data.classes,
        objective: side.objective,
        steps: options.steps,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        seed: options.seed,
        thetaEvery: 0,
        onStep: (step, loss) => options.onStep?.(k, step, loss),
      });
      const { data: e } = await embedImages(model, data.images);
      const features = Array.from(data.labels, (label, i) => ({ x: e[2 * i] as number, y: e[2 * i + 1] as number, label }));
      const centers = Array.from({ length: data.classes }, (_, c) => ({ x: run.centers[2 * c] as number, y: run.centers[2 * c + 1] as number, label: c }));
      const geometry = measureCircleGeometry(features.map((f) => [f.x, f.y] as [number, number]), data.labels);
      // Nearest centre by the head's own score: cosine for the margin head, W·x + b for softmax.
      let correct = 0;
      features.forEach((f) => {
        let best = -1;
        let bestScore = Number.NEGATIVE_INFINITY;
        centers.forEach((c, j) => {
          const dot = f.x * c.x + f.y * c.y;
          const score = side.objective.kind === 'softmax' ? dot + (run.bias?.[j] ?? 0) : dot / (Math.hypot(c.x, c.y) * Math.hypot(f.x, f.y));
          if (score > bestScore) {
            bestScore = score;
            best = j;
          }
        });
        if (best === f.label) correct += 1;
      });
      panels.push({
        label: side.label,
        margin: side.spec,
        features,
        centers,
        gapDegrees: geometry.gapDegrees,
        intraDegrees: geometry.intraDegrees,
        accuracy: correct / features.length,
      });
    } finally {
      model.dispose();
    }
  }
  return { identities: data.classes, samplesPerIdentity: Math.round(data.labels.length / data.classes), steps: options.steps, panels };
}


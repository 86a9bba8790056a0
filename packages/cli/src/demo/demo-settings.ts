import { TOY_DEFAULTS } from '@arcface/trainer/toy';
import type { AugmentOptions } from '@arcface/data';
import type { MarginOptions } from '@arcface/margins';

/** A margin the demo trains, with the options it uses. */
export interface DemoMargin {
  readonly label: string;
  readonly name: string;
  readonly options: MarginOptions;
}

/** Which data and training recipe a demo run uses. */
export type DemoRecipeName = 'synthetic' | 'real-faces' | 'quick';

/** Everything that decides what the demo does; the defaults are {@link demoSettings}. */
export interface DemoSettings {
  readonly quick: boolean;
  /** The recipe's name and one line saying what it is, printed before the run. */
  readonly recipe: { readonly name: DemoRecipeName; readonly description: string };
  /** Every margin is trained once per seed; a seed fixes data, initial weights and batch order. */
  readonly seeds: readonly number[];
  /** Side of the square input images. */
  readonly imageSize: number;
  readonly trainIdentities: number;
  readonly heldOutIdentities: number;
  readonly imagesPerIdentity: number;
  /** How the synthetic faces vary (ignored for a face folder). */
  readonly conditions: 'classic' | 'wild';
  readonly backdrop: 'varied' | 'plain';
  readonly difficulty: number;
  readonly backbone: string;
  /** Extra options of the backbone (tiny-cnn's channels). */
  readonly backboneOptions: { readonly [key: string]: number | readonly number[] };
  readonly embeddingSize: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly augment: AugmentOptions;
  /** Verification pairs per fold on the held-out identities (10 folds). */
  readonly pairsPerFold: number;
  /** Snapshots of θ_y and the Table 3 statistics during each run. */
  readonly snapshots: number;
  readonly margins: readonly DemoMargin[];
  readonly toy: { readonly enabled: boolean; readonly identities: number; readonly imagesPerIdentity: number; readonly steps: number; readonly learningRate: number };
  /** The appendix study: ArcFace trained on the first C training identities for each C. */
  readonly classCounts: { readonly enabled: boolean; readonly counts: readonly number[]; readonly steps: number };
}

/**
 * The scale shared by every margin. Few classes and a small network: s = 64 (the paper's, for
 * 10k+ classes) saturates the softmax here, so a smaller s trains better (ANCHORS §8.7).
 */
const SCALE = 16;

/** The five margins the paper compares, with the paper's margin values. */
export const DEMO_MARGINS: readonly DemoMargin[] = [
  { label: 'ArcFace', name: 'additive-angular', options: { m: 0.5, s: SCALE } },
  { label: 'CosFace', name: 'additive-cosine', options: { m: 0.35, s: SCALE } },
  { label: 'SphereFace', name: 'multiplicative-angular', options: { m: 4, s: SCALE } },
  { label: 'Combined', name: 'combined', options: { m1: 1, m2: 0.3, m3: 0.2, s: SCALE } },
  { label: 'Norm-Softmax', name: 'softmax-normalized', options: { s: SCALE } },
];

function seedList(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/**
 * The demo's settings.
 *
 * - default (`synthetic`): synthetic faces under 'wild' conditions (side light, exposure,
 *   pose, expression, occlusion), 6 seeds × 5 margins, tiny-cnn at 32×32, batch 64. A training
 *   step of this network costs about the same at batch 1 and batch 64 (the ~700 kernel launches
 *   of a step dominate; see docs/results.md), so the recipe takes few, large batches.
 * - `data` (`real-faces`): a face folder such as ORL, 3 seeds (each its own identity split),
 *   the recipe docs/results.md measured on ORL and Yale.
 * - `quick`: a smoke test (one seed, a few steps); it makes no claim.
 */
export function demoSettings(options: { quick?: boolean; backbone?: string; seed?: number; data?: boolean } = {}): DemoSettings {
  const quick = options.quick === true;
  const real = options.data === true;
  const seed = options.seed ?? 1;
  const base = {
    quick,
    backbone: options.backbone ?? 'tiny-cnn',
    backboneOptions: {},
    embeddingSize: 64,
    learningRate: 0.1,
    weightDecay: 5e-4,
    conditions: 'wild' as const,
    backdrop: 'plain' as const,
    difficulty: 0.8,
    margins: DEMO_MARGINS,
    toy: { enabled: true, identities: TOY_DEFAULTS.identities, imagesPerIdentity: TOY_DEFAULTS.imagesPerIdentity, steps: quick ? 20 : TOY_DEFAULTS.steps, learningRate: TOY_DEFAULTS.learningRate },
  };
  if (quick) {
    return {
      ...base,
      recipe: { name: 'quick', description: 'smoke test: one seed, a few steps per margin; too short to compare margins, it makes no claim' },
      seeds: [seed],
      imageSize: 32,
      trainIdentities: 12,
      heldOutIdentities: 8,
      imagesPerIdentity: 6,
      steps: 10,
      batchSize: 16,
      augment: { flip: 0.5 },
      pairsPerFold: 10,
      snapshots: 2,
      classCounts: { enabled: true, counts: [4, 8], steps: 4 },
    };
  }
  if (real) {
    return {
      ...base,
      recipe: { name: 'real-faces', description: 'real faces: 3 seeds (each its own identity split), 48×48 input, flip + crop + brightness/contrast augmentation, 300 steps of batch 64' },
      seeds: seedList(seed, 3),
      imageSize: 48,
      trainIdentities: 0,
      heldOutIdentities: 10,
      imagesPerIdentity: 0,
      steps: 300,
      batchSize: 64,
      augment: { flip: 0.5, crop: { scale: [0.8, 1] }, brightness: 0.2, contrast: 0.2 },
      pairsPerFold: 60,
      snapshots: 6,
      classCounts: { enabled: false, counts: [], steps: 0 },
    };
  }
  return {
    ...base,
    recipe: { name: 'synthetic', description: "synthetic faces under 'wild' conditions (difficulty 0.8, plain backdrop): 6 seeds, 48 training and 24 held-out identities × 16 images, 32×32, 300 steps of batch 64, flip" },
    seeds: seedList(seed, 6),
    imageSize: 32,
    trainIdentities: 48,
    heldOutIdentities: 24,
    imagesPerIdentity: 16,
    steps: 300,
    batchSize: 64,
    augment: { flip: 0.5 },
    pairsPerFold: 100,
    snapshots: 6,
    classCounts: { enabled: true, counts: [4, 8, 16, 32, 48], steps: 100 },
  };
}

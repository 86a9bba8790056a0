import { TOY_DEFAULTS } from '@arcface/trainer/toy';
import type { MarginOptions } from '@arcface/margins';

/** A margin the demo trains, with the options it uses. */
export interface DemoMargin {
  readonly label: string;
  readonly name: string;
  readonly options: MarginOptions;
}

/** Everything that decides what the demo does; the defaults are {@link demoSettings}. */
export interface DemoSettings {
  readonly quick: boolean;
  readonly seed: number;
  /** Side of the square input images. */
  readonly imageSize: number;
  readonly trainIdentities: number;
  readonly heldOutIdentities: number;
  readonly imagesPerIdentity: number;
  readonly backbone: string;
  readonly embeddingSize: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  /** Verification pairs per fold on the held-out identities (10 folds). */
  readonly pairsPerFold: number;
  readonly margins: readonly DemoMargin[];
  readonly toy: { readonly enabled: boolean; readonly identities: number; readonly imagesPerIdentity: number; readonly steps: number; readonly learningRate: number };
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

/**
 * The demo's settings: the full run (about 10 minutes on 2 cores with wasm) or `quick`
 * (CI: every margin still trains and is evaluated, in well under 2 minutes).
 */
export function demoSettings(options: { quick?: boolean; backbone?: string; seed?: number } = {}): DemoSettings {
  const quick = options.quick === true;
  return {
    quick,
    seed: options.seed ?? 1,
    imageSize: 32,
    trainIdentities: quick ? 12 : 48,
    heldOutIdentities: quick ? 8 : 16,
    imagesPerIdentity: quick ? 6 : 16,
    backbone: options.backbone ?? 'tiny-cnn',
    embeddingSize: 64,
    steps: quick ? 10 : 120,
    batchSize: quick ? 16 : 32,
    learningRate: 0.1,
    weightDecay: 5e-4,
    pairsPerFold: quick ? 10 : 60,
    margins: DEMO_MARGINS,
    toy: { enabled: true, identities: TOY_DEFAULTS.identities, imagesPerIdentity: TOY_DEFAULTS.imagesPerIdentity, steps: quick ? 20 : TOY_DEFAULTS.steps, learningRate: TOY_DEFAULTS.learningRate },
  };
}

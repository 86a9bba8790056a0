import type { InputPreprocessing } from './interop/preprocessing';
import { BackboneOptionsError } from './errors';

/** Options every built-in backbone understands. */
export interface BackboneOptions {
  /** Input `[height, width, channels]`, channels last. Defaults per backbone (112×112×3 for the large ones). */
  readonly inputShape?: readonly [number, number, number];
  /** Size D of the embedding. Defaults to 512. */
  readonly embeddingSize?: number;
  /** Channel multiplier applied to every convolution (1 = the published width). */
  readonly width?: number;
  /** Dropout rate before the embedding FC layer (insightface: 0). */
  readonly dropout?: number;
  /** Seed of every weight initialiser, so the same options give the same initial weights. */
  readonly seed?: number;
  /**
   * The normalisation of 0…255 RGB pixels the network was trained with, when it is not
   * arcface_torch's (x − 127.5) / 127.5 (an imported insightface model): iResNet and
   * MobileFaceNet then start with a `Rescaling` layer from our pipelines' input to that one.
   */
  readonly preprocessing?: InputPreprocessing;
}

/** Options with every default filled in. */
export interface ResolvedBackboneOptions {
  readonly inputShape: readonly [number, number, number];
  readonly embeddingSize: number;
  readonly width: number;
  readonly dropout: number;
  readonly seed: number;
}

export function resolveOptions(
  name: string,
  options: BackboneOptions,
  defaults: ResolvedBackboneOptions,
): ResolvedBackboneOptions {
  const resolved: ResolvedBackboneOptions = {
    inputShape: options.inputShape ?? defaults.inputShape,
    embeddingSize: options.embeddingSize ?? defaults.embeddingSize,
    width: options.width ?? defaults.width,
    dropout: options.dropout ?? defaults.dropout,
    seed: options.seed ?? defaults.seed,
  };
  const { inputShape, embeddingSize, width, dropout, seed } = resolved;
  if (inputShape.length !== 3 || !inputShape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new BackboneOptionsError(`${name}: inputShape must be three positive integers [h, w, c], got [${inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(embeddingSize) || embeddingSize < 1) {
    throw new BackboneOptionsError(`${name}: embeddingSize must be a positive integer, got ${embeddingSize}`);
  }
  if (!(width > 0) || !Number.isFinite(width)) {
    throw new BackboneOptionsError(`${name}: width must be a positive number, got ${width}`);
  }
  if (!(dropout >= 0 && dropout < 1)) {
    throw new BackboneOptionsError(`${name}: dropout must be in [0, 1), got ${dropout}`);
  }
  if (!Number.isInteger(seed)) {
    throw new BackboneOptionsError(`${name}: seed must be an integer, got ${seed}`);
  }
  return resolved;
}

/** Channels after the width multiplier: at least 1, rounded to an integer. */
export function scaled(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/**
 * A counter that hands each initialiser its own seed, derived from the model's seed, so that
 * two builds with the same seed get equal weights and no two layers get the same draws.
 */
export function seedSequence(seed: number): () => number {
  let next = 0;
  return () => {
    next += 1;
    // Knuth's multiplicative hash keeps neighbouring model seeds far apart.
    return (Math.imul(seed + next, 2654435761) >>> 0) % 2147483647;
  };
}

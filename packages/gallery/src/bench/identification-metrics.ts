import { InvalidArgumentError } from '@arcface/core';

/**
 * Cumulative match characteristic: entry r − 1 is the share of probes whose true identity is
 * among the first r candidates. `ranks[i]` is probe i's 1-based rank, or Infinity when it was
 * not returned at all.
 */
export function cumulativeMatchCurve(ranks: readonly number[], maxRank: number): number[] {
  if (ranks.length === 0) throw new InvalidArgumentError('cumulativeMatchCurve: no probes');
  const hits = new Array<number>(maxRank).fill(0);
  for (const rank of ranks) if (rank >= 1 && rank <= maxRank) hits[rank - 1]! += 1;
  const curve: number[] = [];
  let sum = 0;
  for (const h of hits) {
    sum += h;
    curve.push(sum / ranks.length);
  }
  return curve;
}

/** One point of {@link tarAtFarFromScores}. */
export interface TarAtFarPoint {
  far: number;
  /** Share of genuine pairs scoring above the threshold; null when the impostors are too few to reach `far`. */
  tar: number | null;
  /** The score threshold: a pair is accepted when its cosine is above it. */
  threshold: number | null;
  /** Impostor pairs the FAR was measured on (at least 1/far are needed). */
  impostors: number;
}

/**
 * TAR at FAR on similarity scores, MegaFace's verification protocol: one threshold over all
 * pairs (no folds), the smallest that lets at most `far` of the impostor pairs through, and the
 * share of genuine pairs above it.
 */
export function tarAtFarFromScores(genuine: ArrayLike<number>, impostor: ArrayLike<number>, fars: readonly number[]): TarAtFarPoint[] {
  if (genuine.length === 0 || impostor.length === 0) throw new InvalidArgumentError('tarAtFarFromScores: needs genuine and impostor scores');
  const sorted = Float64Array.from(impostor).sort().reverse();
  return fars.map((far) => {
    if (!(far > 0 && far < 1)) throw new InvalidArgumentError(`tarAtFarFromScores: far must be in (0, 1), got ${far}`);
    const allowed = Math.floor(far * sorted.length);
    if (allowed < 1) return { far, tar: null, threshold: null, impostors: sorted.length };
    // Accepting "score > threshold" with threshold = the (allowed+1)-th highest impostor lets at
    // most `allowed` impostors through (fewer when scores tie).
    const threshold = sorted[allowed] as number;
    let accepted = 0;
    for (let i = 0; i < genuine.length; i++) if ((genuine[i] as number) > threshold) accepted++;
    return { far, tar: accepted / genuine.length, threshold, impostors: sorted.length };
  });
}

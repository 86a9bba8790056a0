/** What verification pairs a labelled set can give. */
export interface PairCapacity {
  /** Identities (class ids, ascending) with at least one sample. */
  readonly identities: number;
  /** Identities with exactly one sample: they cannot form a same-identity pair. */
  readonly singletons: readonly number[];
  /** Distinct same-identity pairs the set holds: Σ n(n−1)/2. */
  readonly samePairs: number;
  /** Distinct different-identity pairs the set holds. */
  readonly differentPairs: number;
}

/**
 * Counts the pairs an evaluation could draw from `labels`, and which identities cannot take part
 * in a same-identity pair, so an evaluation can say so instead of failing or skewing silently.
 *
 * @example
 * const { singletons, samePairs } = pairCapacity(datasetLabels(faces));
 */
export function pairCapacity(labels: ArrayLike<number>): PairCapacity {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i] as number, (counts.get(labels[i] as number) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  let samePairs = 0;
  let sumSquares = 0;
  for (const c of classes) {
    const n = counts.get(c) as number;
    samePairs += (n * (n - 1)) / 2;
    sumSquares += n * n;
  }
  const total = labels.length;
  return {
    identities: classes.length,
    singletons: classes.filter((c) => counts.get(c) === 1),
    samePairs,
    differentPairs: (total * total - sumSquares) / 2,
  };
}

/** `identities 3, 7 (2 of 9) have one image and form no same-identity pair` — for messages. */
export function describeSingletons(capacity: PairCapacity, name: (c: number) => string = String): string {
  const { singletons, identities } = capacity;
  if (singletons.length === 0) return 'every identity has at least two images';
  const shown = singletons.slice(0, 20).map(name).join(', ');
  const more = singletons.length > 20 ? `, … (${singletons.length - 20} more)` : '';
  return `${singletons.length} of ${identities} identities have a single image and form no same-identity pair: ${shown}${more}`;
}

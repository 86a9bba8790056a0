import { ArcfaceError } from '@arcface/core';

/**
 * A margin that scales with the feature norm (AdaFace, MagFace) was given
 * `context.featureNorms` of the wrong shape (or, where required, none). Code `ERR_MISSING_FEATURE_NORMS`.
 */
export class MissingFeatureNormsError extends ArcfaceError {
  constructor(margin: string, detail = 'context.featureNorms is undefined') {
    super(
      'ERR_MISSING_FEATURE_NORMS',
      `${margin} needs the feature norms ‖x‖ of the batch (MarginContext.featureNorms, shape [B]): ${detail}`,
    );
  }
}

/** Checks `context.featureNorms` against the batch size; undefined passes through. */
export function checkFeatureNorms<T extends { readonly rank: number; readonly shape: readonly number[] }>(
  margin: string,
  norms: T | undefined,
  rows: number,
): T | undefined {
  if (norms === undefined) return undefined;
  if (norms.rank !== 1 || norms.shape[0] !== rows) {
    throw new MissingFeatureNormsError(margin, `expected shape [${rows}], got [${norms.shape.join(', ')}]`);
  }
  return norms;
}

import type { FaceDataset } from '@arcface/data';

/**
 * Pairs to verify: images of `dataset` (held-out identities, or the images of an insightface
 * `.bin` where pair i is images 2i and 2i+1), in the order insightface's contiguous K folds expect.
 */
export interface VerificationSet {
  readonly name: string;
  readonly dataset: Pick<FaceDataset, 'length' | 'loadImage'> & Partial<Pick<FaceDataset, 'label' | 'numClasses'>>;
  readonly first: readonly number[];
  readonly second: readonly number[];
  readonly isSame: readonly boolean[];
  /** K of the K-fold protocol [10]. */
  readonly folds?: number;
}

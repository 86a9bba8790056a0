import type { FaceDataset } from '../dataset/face-dataset';
import { TooFewIdentitiesError } from '../errors';

/**
 * Refuses a training set with fewer than two identities that have images (a margin softmax over
 * one class has nothing to separate); returns how many identities have images. Call it where the
 * training data is assembled, before a model is built.
 *
 * @example
 * checkIdentities(await openImageFolder('faces')); // TooFewIdentitiesError for a single sub-folder
 */
export function checkIdentities(dataset: Pick<FaceDataset, 'length' | 'label'>, what?: string): number {
  const present = new Set<number>();
  for (let i = 0; i < dataset.length; i++) present.add(dataset.label(i));
  if (present.size < 2) throw new TooFewIdentitiesError(present.size, what);
  return present.size;
}

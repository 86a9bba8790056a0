import { InvalidArgumentError } from '@arcface/core';
import { createRng } from '../random/rng';

export interface IdentitySplit {
  /** Sample indices of the training identities, ascending. */
  train: number[];
  /** Sample indices of the held-out identities, ascending. */
  heldOut: number[];
  /** The identities (original class ids) on each side, ascending. */
  trainClasses: number[];
  heldOutClasses: number[];
}

/**
 * Splits samples by identity: no person appears on both sides, as face verification needs
 * (the model is tested on people it never saw). Which identities are held out is a seeded draw.
 *
 * @example
 * const { train, heldOut } = splitByIdentity(faces.labels, { heldOutFraction: 0.2, seed: 7 });
 */
export function splitByIdentity(
  labels: ArrayLike<number>,
  options: { heldOutFraction?: number; heldOutIdentities?: number; seed?: number | string },
): IdentitySplit {
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  let count: number;
  if (options.heldOutIdentities !== undefined) count = options.heldOutIdentities;
  else {
    const fraction = options.heldOutFraction ?? 0.2;
    if (!(fraction >= 0 && fraction <= 1)) throw new InvalidArgumentError(`heldOutFraction must be in [0, 1], got ${fraction}`);
    count = Math.round(classes.length * fraction);
  }
  if (!Number.isInteger(count) || count < 0 || count > classes.length) {
    throw new InvalidArgumentError(`cannot hold out ${count} of ${classes.length} identities`);
  }
  const shuffled = createRng(options.seed ?? 0).shuffle([...classes]);
  const held = new Set(shuffled.slice(0, count));
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let i = 0; i < labels.length; i++) (held.has(labels[i] as number) ? heldOut : train).push(i);
  return {
    train,
    heldOut,
    trainClasses: classes.filter((c) => !held.has(c)),
    heldOutClasses: classes.filter((c) => held.has(c)),
  };
}

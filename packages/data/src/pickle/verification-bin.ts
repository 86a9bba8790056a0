import { VerificationBinError } from '../errors';
import { PickleSet, PickleTuple, type PickleValue } from './pickle-value';
import { unpickle } from './unpickle';

/** A verification set: 2N encoded images (pair i is images 2i and 2i+1) and N same/different flags. */
export interface VerificationBin {
  images: Uint8Array[];
  isSame: boolean[];
}

/**
 * Parses the bytes of an insightface verification `.bin` (lfw.bin, cfp_fp.bin, agedb_30.bin):
 * `pickle.dump((bins, issame_list))`, written by Python 2 (`BINSTRING` images) or Python 3
 * (`BINBYTES`). The pickle is read data-only (see {@link unpickle}); bins that pickle numpy
 * arrays (`build_eval_pack.py`) are refused with `UnsafePickleError`, never executed.
 *
 * @example
 * const { images, isSame } = parseVerificationBin(new Uint8Array(await (await fetch('lfw.bin')).arrayBuffer()));
 */
export function parseVerificationBin(bytes: Uint8Array): VerificationBin {
  const root = unpickle(bytes);
  const pair = root instanceof PickleTuple ? root.items : Array.isArray(root) ? root : undefined;
  if (pair === undefined || pair.length !== 2) {
    throw new VerificationBinError(`a verification .bin holds a pair (bins, issame_list); got ${describe(root)}`);
  }
  const [bins, issame] = pair as [PickleValue, PickleValue];
  if (!Array.isArray(bins) || !Array.isArray(issame)) {
    throw new VerificationBinError(`expected (list of images, list of bools); got (${describe(bins)}, ${describe(issame)})`);
  }
  const images = bins.map((b, i) => {
    if (!(b instanceof Uint8Array)) throw new VerificationBinError(`image ${i} is ${describe(b)}, not bytes`);
    return b;
  });
  const isSame = issame.map((v, i) => {
    if (typeof v !== 'boolean') throw new VerificationBinError(`issame[${i}] is ${describe(v)}, not a bool`);
    return v;
  });
  if (images.length !== 2 * isSame.length) {
    throw new VerificationBinError(`${images.length} images for ${isSame.length} pairs (expected ${2 * isSame.length})`);
  }
  return { images, isSame };
}

function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (Array.isArray(value)) return `list(${value.length})`;
  if (value instanceof PickleTuple) return `tuple(${value.items.length})`;
  if (value instanceof Map) return `dict(${value.size})`;
  if (value instanceof PickleSet) return `set(${value.items.length})`;
  // Objects other than the pickle types above are named by their class, not '[object Object]'.
  const shown = typeof value === 'object' && value !== null ? (value.constructor?.name ?? 'object') : String(value as string | number | boolean | bigint | symbol | null | undefined);
  return `${typeof value} ${shown.slice(0, 40)}`;
}

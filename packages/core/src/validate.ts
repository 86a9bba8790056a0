import { EmptyInputError, InvalidArgumentError, NotANumberError, ShapeMismatchError } from './errors';

// Checks shared by the plain-number metrics. Not exported from the package.

/** Copies distances into a Float64Array, refusing an empty input and any NaN (naming its index). */
export function toDistances(values: ArrayLike<number>, fn: string, what = 'distances'): Float64Array {
  if (values.length === 0) throw new EmptyInputError(`${fn}: ${what} is empty`);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new NotANumberError(`${fn}: ${what}[${i}] is ${String(v)}, not a number`);
    }
    out[i] = v;
  }
  return out;
}

/** Same-pair flags as a Uint8Array of 0/1; accepts booleans or the numbers 0 and 1. */
export function toFlags(values: ArrayLike<boolean | number>, length: number, fn: string): Uint8Array {
  if (values.length !== length) {
    throw new ShapeMismatchError(`${fn}: ${length} distances but ${values.length} isSame flags`);
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === false || v === 0) out[i] = 0;
    else throw new InvalidArgumentError(`${fn}: isSame[${i}] is ${String(v)}; expected a boolean, 0 or 1`);
  }
  return out;
}

/** Validates a fold count the way scikit-learn's KFold does: 2 ≤ k ≤ n, an integer. */
export function checkFolds(folds: number, n: number, fn: string): void {
  if (!Number.isInteger(folds) || folds < 2 || folds > n) {
    throw new InvalidArgumentError(`${fn}: folds must be an integer in [2, ${n}] (the number of pairs), got ${folds}`);
  }
}

/** Rows of a number matrix as Float64Arrays, all of one width. */
export function toRows(rows: ReadonlyArray<ArrayLike<number>>, fn: string, what: string): Float64Array[] {
  if (rows.length === 0) throw new EmptyInputError(`${fn}: ${what} has no rows`);
  const width = (rows[0] as ArrayLike<number>).length;
  if (width === 0) throw new EmptyInputError(`${fn}: ${what} has rows of width 0`);
  return rows.map((row, i) => {
    if (row.length !== width) {
      throw new ShapeMismatchError(`${fn}: ${what}[${i}] has ${row.length} values, ${what}[0] has ${width}`);
    }
    const out = Float64Array.from(row);
    for (let j = 0; j < width; j++) {
      if (Number.isNaN(out[j])) throw new NotANumberError(`${fn}: ${what}[${i}][${j}] is NaN`);
    }
    return out;
  });
}

import { MarginOptionError } from './errors';

/** Limits for {@link checkNumberOption}. */
export interface NumberLimits {
  /** Smallest allowed value (inclusive unless `minExclusive`). */
  readonly min?: number;
  readonly minExclusive?: boolean;
  /** Largest allowed value (inclusive unless `maxExclusive`). */
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** Whether the value must be a whole number (SphereFace's m). */
  readonly integer?: boolean;
}

/**
 * Throws {@link MarginOptionError} unless `value` is a finite number within `limits`.
 * The message names the margin, the option and the offending value.
 *
 * @example
 * checkNumberOption('additive-angular', 'm', 0.5, { min: 0, max: Math.PI / 2 }); // passes
 */
export function checkNumberOption(margin: string, key: string, value: unknown, limits: NumberLimits = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MarginOptionError(margin, key, `must be a finite number, got ${describe(value)}`);
  }
  const { min, max, minExclusive = false, maxExclusive = false, integer = false } = limits;
  if (integer && !Number.isInteger(value)) {
    throw new MarginOptionError(margin, key, `must be an integer, got ${value}`);
  }
  const belowMin = min !== undefined && (minExclusive ? value <= min : value < min);
  const aboveMax = max !== undefined && (maxExclusive ? value >= max : value > max);
  if (belowMin || aboveMax) {
    const low = min === undefined ? '(-∞' : `${minExclusive ? '(' : '['}${min}`;
    const high = max === undefined ? '∞)' : `${max}${maxExclusive ? ')' : ']'}`;
    throw new MarginOptionError(margin, key, `must be in ${low}, ${high}, got ${value}`);
  }
  return value;
}

/** Throws {@link MarginOptionError} unless `value` is one of `allowed`. */
export function checkChoiceOption<T extends string>(margin: string, key: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new MarginOptionError(margin, key, `must be one of ${allowed.join(' | ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** Throws {@link MarginOptionError} for a key that is not among `known` (a typo such as `lambdaMin`). */
export function checkKnownKeys(margin: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new MarginOptionError(margin, key, `is not an option of this margin; known: ${known.join(', ')}`);
    }
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

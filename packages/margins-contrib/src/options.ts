/** The `fail` callback `defineMargin` hands to `validate`: throws its typed option error. */
export type Fail = (key: string, message: string) => never;

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/**
 * Fails unless `value` is a finite number in [lo, hi] (an integer when `integer`). Options come
 * from JSON and command lines too, so the type is checked, not assumed.
 */
export function checkNumber(fail: Fail, key: string, value: unknown, lo: number, hi: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(key, `must be a finite number, got ${show(value)}`);
  const x = value as number;
  if (integer && !Number.isInteger(x)) fail(key, `must be an integer, got ${x}`);
  if (x < lo || x > hi) fail(key, `must be in [${lo}, ${hi}], got ${x}`);
}

/** Fails unless `value` is a finite number > 0. */
export function checkPositive(fail: Fail, key: string, value: unknown): void {
  checkNumber(fail, key, value, 0, Number.MAX_VALUE);
  if ((value as number) <= 0) fail(key, `must be > 0, got ${value as number}`);
}

/** Fails unless `value` is one of `choices`. */
export function checkChoice(fail: Fail, key: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) {
    fail(key, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${show(value)}`);
  }
}

/** The largest angular margin accepted: past π/2 the target leaves the useful range entirely. */
export const MAX_ANGULAR_MARGIN = Math.PI / 2;

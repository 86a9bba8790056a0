/** A linear map from a data interval to a pixel interval. */
export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/**
 * `linearScale([0, 180], [40, 600])(90)` is 320. A zero-width domain maps everything to the
 * middle of the range rather than dividing by zero.
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const fn = ((value: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0))) as LinearScale;
  Object.defineProperty(fn, 'domain', { value: domain });
  Object.defineProperty(fn, 'range', { value: range });
  return fn;
}

/**
 * About `count` round tick values (steps of 1, 2 or 5 × 10^k) inside [min, max].
 *
 * @example
 * niceTicks(0, 180, 6); // [0, 50, 100, 150]
 */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max)) || max <= min || count < 1) return [min];
  const raw = (max - min) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  // The first of 1, 2, 5, 10 at least as large as the raw step keeps the count at or under `count`.
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const ticks: number[] = [];
  // Multiples of the step within a millionth of a step of the interval count as inside it
  // (float noise in min/step must not drop the tick at min).
  const first = Math.ceil(min / step - 1e-7);
  const last = Math.floor(max / step + 1e-7);
  for (let i = first; i <= last; i += 1) ticks.push(roundToStep(i * step, step));
  // A step rounded up past the interval's width can leave no multiple inside: label the start.
  return ticks.length > 0 ? ticks : [min];
}

function roundToStep(value: number, step: number): number {
  // Removes float noise like 0.30000000000000004 so tick labels print cleanly.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(digits));
}

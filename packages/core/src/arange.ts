import { InvalidArgumentError } from './errors';

/**
 * `numpy.arange(start, stop, step)` for float64, value for value: numpy fills element i with
 * `start + i * delta`, where `delta = (start + step) - start`, and makes ceil((stop − start) / step)
 * elements. Thresholds written as `i / 100` differ from `i * 0.01` at 51 of the 400 points of
 * insightface's grid, and a distance that lands between the two values flips a prediction.
 *
 * @example
 * arange(0, 4, 0.01)[35] // 0.35000000000000003, as numpy gives it
 */
export function arange(start: number, stop: number, step: number): Float64Array {
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step) || step === 0) {
    throw new InvalidArgumentError(`arange: start, stop and step must be finite and step non-zero, got (${start}, ${stop}, ${step})`);
  }
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out[i] = i === 0 ? start : i === 1 ? start + step : start + i * delta;
  return out;
}

/** insightface's accuracy thresholds, `numpy.arange(0, 4, 0.01)`: 400 values. */
export function accuracyThresholds(): Float64Array {
  return arange(0, 4, 0.01);
}

/** insightface's VAL@FAR thresholds, `numpy.arange(0, 4, 0.001)`: 4000 values. */
export function valThresholds(): Float64Array {
  return arange(0, 4, 0.001);
}

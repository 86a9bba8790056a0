import * as tf from '@tensorflow/tfjs-core';
import { GradientsNotRegisteredError } from './errors';
import { isMissingGradient } from './margin-softmax-loss';
import type { MarginFn } from './margin-fn';

/** The laws {@link checkMargin} tests. */
export type MarginLaw = 'belowCosine' | 'monotone' | 'finite' | 'finiteGradient';

/** One place where a law fails. */
export interface MarginViolation {
  readonly law: MarginLaw;
  /** The angle in radians where it fails. */
  readonly theta: number;
  readonly detail: string;
}

export interface CheckMarginOptions {
  /** Evenly spaced angles on [0, π], besides the boundaries [2049]. */
  readonly samples?: number;
  /** The training step the margin is evaluated at, for scheduled margins [0]. */
  readonly step?: number;
  /** Most violations listed per law [10]. */
  readonly maxViolationsPerLaw?: number;
}

export interface MarginCheckReport {
  /** Every law holds. */
  readonly ok: boolean;
  readonly checks: Readonly<Record<MarginLaw, boolean>>;
  readonly violations: readonly MarginViolation[];
}

/** Slack for float64 rounding in t(θ) ≤ cos θ and in monotonicity. */
const TOLERANCE = 1e-12;
/** How far either side of a boundary the checks look: a float64 step in θ... */
const BOUNDARY_OFFSET = 1e-6;
/** ...and a float32-visible step for the tensor gradient near it. */
const GRADIENT_BOUNDARY_OFFSET = 1e-3;

/**
 * Checks the laws a margin plugin should obey on θ ∈ [0, π], and says where one fails:
 * - `belowCosine`: t(θ) ≤ cos θ (the margin makes the target harder, never easier);
 * - `monotone`: t is non-increasing in θ (a larger angle never scores better);
 * - `finite`: t(θ) is finite;
 * - `finiteGradient`: the tensor form's dt/dc is finite at c = −1, 0, 1, across the grid and
 *   next to each boundary.
 * θ runs over `samples` evenly spaced angles plus each of `fn.boundaries()` and ±1e-6 around
 * it. ArcFace with `boundary: 'none'` fails `monotone` past π − m; `easy` fails it at π/2.
 *
 * Reads tensors synchronously (cpu, wasm). Differentiating a `target` without a
 * `targetGradient`, or a general `logits`, needs tfjs' gradient registry.
 *
 * @example
 * const report = checkMargin(createMargin('additive-angular', { boundary: 'none' }));
 * report.checks.monotone; // false
 * report.violations[0];   // { law: 'monotone', theta: 2.6425…, detail: '…' }
 */
export function checkMargin(fn: MarginFn, options: CheckMarginOptions = {}): MarginCheckReport {
  const { samples = 2049, step = 0, maxViolationsPerLaw = 10 } = options;
  const boundaries = (fn.boundaries?.(step) ?? []).filter((b) => b > 0 && b < Math.PI);
  const thetas = angleGrid(samples, boundaries);
  const violations: MarginViolation[] = [];
  const counts: Record<MarginLaw, number> = { belowCosine: 0, monotone: 0, finite: 0, finiteGradient: 0 };
  const report = (law: MarginLaw, theta: number, detail: string) => {
    counts[law] += 1;
    if (counts[law] <= maxViolationsPerLaw) violations.push({ law, theta, detail });
  };

  let previous: { theta: number; value: number } | undefined;
  for (const theta of thetas) {
    const value = fn.targetLogit(theta, step);
    if (!Number.isFinite(value)) {
      report('finite', theta, `t(${theta}) = ${value}`);
      continue;
    }
    const cos = Math.cos(theta);
    if (value > cos + TOLERANCE) report('belowCosine', theta, `t(${theta}) = ${value} > cos θ = ${cos}`);
    if (previous !== undefined && value > previous.value + TOLERANCE) {
      report('monotone', theta, `t rises from ${previous.value} at θ = ${previous.theta} to ${value} at θ = ${theta}`);
    }
    previous = { theta, value };
  }

  const gradientThetas = [
    0,
    Math.PI / 2,
    Math.PI,
    ...thetas.filter((_, i) => i % Math.max(1, Math.floor(thetas.length / 64)) === 0),
    ...boundaries.flatMap((b) => [b - GRADIENT_BOUNDARY_OFFSET, b + GRADIENT_BOUNDARY_OFFSET]),
  ].filter((t) => t >= 0 && t <= Math.PI);
  // c = −1, 0, 1 exactly (cos(π/2) is 6e-17 in float64, not 0)
  const cosines = gradientThetas.map((t) => (t === 0 ? 1 : t === Math.PI ? -1 : t === Math.PI / 2 ? 0 : Math.cos(t)));
  const slopes = tensorSlopes(fn, cosines, step);
  slopes.forEach((slope, i) => {
    if (!Number.isFinite(slope)) {
      report('finiteGradient', gradientThetas[i] as number, `dt/dc = ${slope} at c = ${cosines[i]}`);
    }
  });

  const checks = {
    belowCosine: counts.belowCosine === 0,
    monotone: counts.monotone === 0,
    finite: counts.finite === 0,
    finiteGradient: counts.finiteGradient === 0,
  };
  return { ok: Object.values(checks).every(Boolean), checks, violations };
}

function angleGrid(samples: number, boundaries: readonly number[]): number[] {
  const count = Math.max(2, Math.floor(samples));
  const grid = Array.from({ length: count }, (_, i) => (i === count - 1 ? Math.PI : (i * Math.PI) / (count - 1)));
  for (const b of boundaries) grid.push(b - BOUNDARY_OFFSET, b, b + BOUNDARY_OFFSET);
  return [...new Set(grid.filter((t) => t >= 0 && t <= Math.PI))].sort((a, b) => a - b);
}

/** dt/dc of the margin's tensor form at each cosine, in float32. */
function tensorSlopes(fn: MarginFn, cosines: number[], step: number): number[] {
  const context = { step };
  const result = tf.tidy(() => {
    const c = tf.tensor1d(cosines);
    if (fn.target !== undefined && fn.targetGradient !== undefined && fn.gradient === 'exact') {
      return fn.targetGradient(c, context);
    }
    try {
      if (fn.target !== undefined) {
        const target = fn.target.bind(fn);
        return tf.grad((x: tf.Tensor) => target(x as tf.Tensor1D, context))(c);
      }
      // A general margin: one row per cosine, the target in column 0, a neutral cosine in 1.
      const rows = tf.stack([c, tf.zerosLike(c)], 1) as tf.Tensor2D;
      const labels = tf.zeros([cosines.length], 'int32') as tf.Tensor1D;
      const full = tf.grad((x: tf.Tensor) => tf.div(fn.logits(x as tf.Tensor2D, labels, context), fn.scale))(rows);
      return tf.reshape(tf.slice(full, [0, 0], [-1, 1]), [-1]);
    } catch (error) {
      if (isMissingGradient(error)) throw new GradientsNotRegisteredError(`checkMargin('${fn.name}')`, { cause: error });
      throw error;
    }
  });
  const values = Array.from(result.dataSync());
  result.dispose();
  return values;
}

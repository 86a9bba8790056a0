import * as tf from '@tensorflow/tfjs-core';
import { GradientsNotRegisteredError } from './errors';
import { isMissingGradient } from './margin-softmax-loss';
import type { MarginFn } from './margin-fn';

/** The laws {@link checkMargin} tests. */
export type MarginLaw = 'belowCosine' | 'monotone' | 'finite' | 'finiteGradient' | 'exposesState';

/** One place where a law fails. */
export interface MarginViolation {
  readonly law: MarginLaw;
  /** The angle in radians where it fails (NaN for `exposesState`, which is not about an angle). */
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
  /**
   * Cosine columns of the probe batch that `exposesState` runs through `logits` [2520, a
   * multiple of every K up to 10 for sub-centre margins]; `false` skips the probe.
   */
  readonly stateProbeColumns?: number | false;
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
 * - `exposesState`: a margin whose logits depend on earlier training calls implements
 *   `readState` and `restoreState`. The probe runs `logits` with `training: true` on a batch X,
 *   then on another batch Y, then on X again (with feature norms, at the same step): if the
 *   two results for X differ in any bit, the margin carries state, and one without `readState`
 *   fails (its checkpoints could not resume it exactly). A margin that has `readState` is not
 *   probed, since the probe would change its state.
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
  const counts: Record<MarginLaw, number> = { belowCosine: 0, monotone: 0, finite: 0, finiteGradient: 0, exposesState: 0 };
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

  const { stateProbeColumns = 2520 } = options;
  if (stateProbeColumns !== false && typeof fn.readState !== 'function') {
    const changed = hiddenStateChange(fn, stateProbeColumns, step);
    if (changed !== undefined) {
      report(
        'exposesState',
        Number.NaN,
        `the logits of one training batch changed after another training call (${changed}): the margin carries ` +
          'running state, so it must implement readState() and restoreState(state) (defineMargin: return a RunningState as `state`)',
      );
    }
  }

  const checks = {
    belowCosine: counts.belowCosine === 0,
    monotone: counts.monotone === 0,
    finite: counts.finite === 0,
    finiteGradient: counts.finiteGradient === 0,
    exposesState: counts.exposesState === 0,
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

/**
 * Runs `logits` in training mode on a batch X, another batch Y, then X again, and says where the
 * two results for X first differ (undefined when they are equal bit for bit). The batches are
 * fixed, not random: cosines spread over (−0.9, 0.9) with the labels' own column raised, and
 * feature norms from 3 to 60 so norm-driven margins see a spread.
 */
function hiddenStateChange(fn: MarginFn, columns: number, step: number): string | undefined {
  const rows = 4;
  const batch = (phase: number) =>
    tf.tidy(() => {
      const cos = new Float32Array(rows * columns);
      for (let i = 0; i < cos.length; i++) cos[i] = 0.9 * Math.sin(1.7 * i + phase);
      const labels = Array.from({ length: rows }, (_, i) => i % 2);
      labels.forEach((label, i) => (cos[i * columns + label] = 0.3 + 0.15 * i + 0.1 * phase));
      const norms = Array.from({ length: rows }, (_, i) => 3 + 19 * i + 7 * phase);
      return {
        cosines: tf.keep(tf.tensor2d(cos, [rows, columns])),
        labels: tf.keep(tf.tensor1d(labels, 'int32')),
        featureNorms: tf.keep(tf.tensor1d(norms)),
      };
    });
  const x = batch(0);
  const y = batch(1);
  const run = (b: typeof x): Float32Array => {
    const out = tf.tidy(() => fn.logits(b.cosines, b.labels, { step, training: true, featureNorms: b.featureNorms }));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return values;
  };
  try {
    const first = run(x);
    run(y);
    const again = run(x);
    const at = first.findIndex((value, i) => !Object.is(value, again[i]));
    return at < 0 ? undefined : `element ${at}: ${first[at]} then ${again[at]}`;
  } finally {
    tf.dispose([x.cosines, x.labels, x.featureNorms, y.cosines, y.labels, y.featureNorms]);
  }
}

// The page's validator for margins, following the contract of @arcface/margins' checkMargin:
// t(θ) ≤ cos θ, monotone non-increasing on [0, π], finite, with finite gradients.
import type { MarginFn } from '@arcface/margins';

export type MarginLaw = 'belowCosine' | 'monotone' | 'finite' | 'finiteGradient';

export interface MarginViolation {
  readonly law: MarginLaw;
  /** The first θ (radians) where the law fails. */
  readonly theta: number;
  readonly detail: string;
}

export interface MarginCheckReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<MarginLaw, boolean>>;
  readonly violations: readonly MarginViolation[];
}

/** Grid points on [0, π] the checks sample. */
const GRID = 1441;
/** Float64 slack: a plain cos θ must pass its own check. */
const TOLERANCE = 1e-9;

/**
 * Samples t(θ) on a fine grid of [0, π] and reports each property's first failure.
 *
 * @example
 * checkMargin(createMargin('additive-angular', { boundary: 'none' })).ok; // false: not monotone past π − m
 */
export function checkMargin(margin: MarginFn, options: { step?: number } = {}): MarginCheckReport {
  const step = options.step ?? 0;
  const violations: MarginViolation[] = [];
  const checks: Record<MarginLaw, boolean> = { belowCosine: true, monotone: true, finite: true, finiteGradient: true };
  const fail = (law: MarginLaw, theta: number, detail: string): void => {
    if (!checks[law]) return;
    checks[law] = false;
    violations.push({ law, theta, detail });
  };
  let previous = Number.POSITIVE_INFINITY;
  const h = 1e-6;
  for (let i = 0; i < GRID; i += 1) {
    const theta = (Math.PI * i) / (GRID - 1);
    const t = margin.targetLogit(theta, step);
    const deg = ((theta * 180) / Math.PI).toFixed(2);
    if (!Number.isFinite(t)) {
      fail('finite', theta, `t(θ) is ${t} at θ = ${deg}°`);
      continue;
    }
    if (t > Math.cos(theta) + TOLERANCE) fail('belowCosine', theta, `t(θ) = ${t.toFixed(4)} > cos θ = ${Math.cos(theta).toFixed(4)} at θ = ${deg}°`);
    if (t > previous + TOLERANCE) fail('monotone', theta, `t(θ) rises from ${previous.toFixed(4)} to ${t.toFixed(4)} at θ = ${deg}°`);
    previous = t;
    // One-sided differences at the ends, central inside: is dt/dθ finite?
    const a = Math.max(0, theta - h);
    const b = Math.min(Math.PI, theta + h);
    const slope = (margin.targetLogit(b, step) - margin.targetLogit(a, step)) / (b - a);
    if (!Number.isFinite(slope)) fail('finiteGradient', theta, `dt/dθ is ${slope} at θ = ${deg}°`);
  }
  return { ok: violations.length === 0, checks, violations };
}

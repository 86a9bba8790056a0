// The page's validator for margins, following the contract of @arcface/margins' checkMargin:
// t(θ) ≤ cos θ, monotone non-increasing on [0, π], finite, with finite gradients.
import type { MarginFn } from '@arcface/margins';

export interface MarginCheckFailure {
  readonly check: 'below-cosine' | 'monotone' | 'finite' | 'finite-gradient';
  /** The first θ (radians) where the check fails. */
  readonly theta: number;
  readonly message: string;
}

export interface MarginCheckReport {
  readonly ok: boolean;
  readonly failures: readonly MarginCheckFailure[];
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
export function checkMargin(margin: MarginFn, step = 0): MarginCheckReport {
  const failures: MarginCheckFailure[] = [];
  const found = new Set<MarginCheckFailure['check']>();
  const fail = (check: MarginCheckFailure['check'], theta: number, message: string): void => {
    if (found.has(check)) return;
    found.add(check);
    failures.push({ check, theta, message });
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
    if (t > Math.cos(theta) + TOLERANCE) fail('below-cosine', theta, `t(θ) = ${t.toFixed(4)} > cos θ = ${Math.cos(theta).toFixed(4)} at θ = ${deg}°`);
    if (t > previous + TOLERANCE) fail('monotone', theta, `t(θ) rises from ${previous.toFixed(4)} to ${t.toFixed(4)} at θ = ${deg}°`);
    previous = t;
    // One-sided differences at the ends, central inside: is dt/dθ finite?
    const a = Math.max(0, theta - h);
    const b = Math.min(Math.PI, theta + h);
    const slope = (margin.targetLogit(b, step) - margin.targetLogit(a, step)) / (b - a);
    if (!Number.isFinite(slope)) fail('finite-gradient', theta, `dt/dθ is ${slope} at θ = ${deg}°`);
  }
  return { ok: failures.length === 0, failures };
}

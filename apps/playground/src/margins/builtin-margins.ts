// The page's own copy of the built-in margins of @arcface/margins, written from the spec in
// DESIGN.md (names, options and defaults are the same), used until that package exports them.
import * as tf from '@tensorflow/tfjs-core';
import { MARGIN_SPEC_VERSION, type MarginContext, type MarginFn, type MarginOptions } from '@arcface/margins';
import { PlaygroundMarginError } from './margin-errors';

/** Keeps acos' derivative −1/√(1−c²) finite at c = ±1. */
const COS_EPSILON = 1e-6;

type Scalar = (theta: number, step: number) => number;
type Target = (cos: tf.Tensor1D, theta: tf.Tensor1D, step: number) => tf.Tensor;

/**
 * Builds a MarginFn from a float64 formula and its tensor twin. Branches test with
 * `greaterEqual`, the only tfjs comparison with a registered (zero) gradient.
 */
export function marginFromFormulas(
  name: string,
  options: MarginOptions & { s: number },
  scalar: Scalar,
  target: Target,
): MarginFn {
  const s = options.s;
  const targetTensor = (cosTarget: tf.Tensor1D, context: MarginContext = {}): tf.Tensor1D =>
    tf.tidy(() => {
      const c = tf.clipByValue(cosTarget, -1 + COS_EPSILON, 1 - COS_EPSILON) as tf.Tensor1D;
      return target(c, tf.acos(c) as tf.Tensor1D, context.step ?? 0) as tf.Tensor1D;
    });
  return {
    specificationVersion: MARGIN_SPEC_VERSION,
    name,
    options,
    scale: s,
    gradient: 'exact',
    targetLogit: (theta, step = 0) => scalar(theta, step),
    target: targetTensor,
    logits(cosines, labels, context = {}) {
      return tf.tidy(() => {
        const classes = cosines.shape[1];
        const mask = tf.cast(tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes), 'float32');
        const cosTarget = tf.sum(tf.mul(cosines, mask), 1) as tf.Tensor1D;
        const shift = tf.sub(targetTensor(cosTarget, context), cosTarget);
        // Only the target column moves: s · (cos θ_j + [j = y] · (t(θ_y) − cos θ_y)).
        return tf.mul(tf.add(cosines, tf.mul(mask, tf.expandDims(shift, 1))), s) as tf.Tensor2D;
      });
    },
  };
}

function number(name: string, options: MarginOptions, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PlaygroundMarginError(`${name}: option '${key}' must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function choice<T extends string>(name: string, options: MarginOptions, key: string, allowed: readonly T[], fallback: T): T {
  const value = options[key] ?? fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new PlaygroundMarginError(`${name}: option '${key}' must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export const ARCFACE_BOUNDARIES = ['none', 'easy', 'thmm', 'reflect'] as const;
export const COMBINED_BOUNDARIES = ['none', 'reflect'] as const;

export function additiveAngular(options: MarginOptions = {}): MarginFn {
  const name = 'additive-angular';
  const m = number(name, options, 'm', 0.5);
  const s = number(name, options, 's', 64);
  const boundary = choice(name, options, 'boundary', ARCFACE_BOUNDARIES, 'thmm');
  const threshold = Math.cos(Math.PI - m);
  const mm = m * Math.sin(m);
  return marginFromFormulas(
    name,
    { m, s, boundary },
    (theta) => {
      const c = Math.cos(theta);
      const t = Math.cos(theta + m);
      switch (boundary) {
        case 'none':
          return t;
        case 'easy':
          return c > 0 ? t : c;
        case 'thmm':
          return c > threshold ? t : c - mm;
        case 'reflect':
          return c > threshold ? t : -2 - t;
      }
    },
    (c, theta) => {
      const t = tf.cos(tf.add(theta, m)) as tf.Tensor1D;
      switch (boundary) {
        case 'none':
          return t;
        case 'easy':
          return tf.where(tf.greaterEqual(c, 0), t, c);
        case 'thmm':
          return tf.where(tf.greaterEqual(c, threshold), t, tf.sub(c, mm));
        case 'reflect':
          return tf.where(tf.greaterEqual(c, threshold), t, tf.sub(-2, t));
      }
    },
  );
}

export function additiveCosine(options: MarginOptions = {}): MarginFn {
  const name = 'additive-cosine';
  const m = number(name, options, 'm', 0.35);
  const s = number(name, options, 's', 64);
  return marginFromFormulas(name, { m, s }, (theta) => Math.cos(theta) - m, (c) => tf.sub(c, m));
}

export function multiplicativeAngular(options: MarginOptions = {}): MarginFn {
  const name = 'multiplicative-angular';
  const m = number(name, options, 'm', 4);
  if (!Number.isInteger(m) || m < 1) throw new PlaygroundMarginError(`${name}: option 'm' must be an integer ≥ 1, got ${m}`);
  const s = number(name, options, 's', 64);
  const lambda = number(name, options, 'lambda', 5);
  // ψ(θ) = (−1)^k cos(mθ) − 2k, k = ⌊mθ/π⌋ clipped to m − 1; t = (ψ + λ cos θ)/(1 + λ).
  return marginFromFormulas(
    name,
    { m, s, lambda },
    (theta) => {
      const k = Math.min(Math.floor((m * theta) / Math.PI), m - 1);
      const psi = (k % 2 === 0 ? 1 : -1) * Math.cos(m * theta) - 2 * k;
      return (psi + lambda * Math.cos(theta)) / (1 + lambda);
    },
    (c, theta) => {
      const k = tf.minimum(tf.floor(tf.mul(theta, m / Math.PI)), m - 1);
      const sign = tf.sub(1, tf.mul(2, tf.mod(k, 2)));
      const psi = tf.sub(tf.mul(sign, tf.cos(tf.mul(theta, m))), tf.mul(2, k));
      return tf.div(tf.add(psi, tf.mul(c, lambda)), 1 + lambda) as tf.Tensor1D;
    },
  );
}

export function combined(options: MarginOptions = {}): MarginFn {
  const name = 'combined';
  const m1 = number(name, options, 'm1', 1);
  const m2 = number(name, options, 'm2', 0.3);
  const m3 = number(name, options, 'm3', 0.2);
  const s = number(name, options, 's', 64);
  const boundary = choice(name, options, 'boundary', COMBINED_BOUNDARIES, 'reflect');
  const edge = (Math.PI - m2) / m1;
  return marginFromFormulas(
    name,
    { m1, m2, m3, s, boundary },
    (theta) => {
      const u = Math.cos(m1 * theta + m2) - m3;
      return boundary === 'reflect' && theta > edge ? 2 * (-1 - m3) - u : u;
    },
    (_c, theta) => {
      const u = tf.sub(tf.cos(tf.add(tf.mul(theta, m1), m2)), m3) as tf.Tensor1D;
      return boundary === 'reflect' ? tf.where(tf.greaterEqual(theta, edge), tf.sub(2 * (-1 - m3), u), u) : u;
    },
  );
}

export function softmaxNormalized(options: MarginOptions = {}): MarginFn {
  const name = 'softmax-normalized';
  const s = number(name, options, 's', 64);
  return marginFromFormulas(name, { s }, (theta) => Math.cos(theta), (c) => c);
}

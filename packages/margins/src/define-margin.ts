import * as tf from '@tensorflow/tfjs-core';
import { InvalidMarginError, MarginOptionError } from './errors';
import { MARGIN_SPEC_VERSION } from './margin-fn';
import type { GradientMode, MarginContext, MarginFn, MarginOptions } from './margin-fn';
import { checkChoiceOption, checkKnownKeys, checkNumberOption } from './option-checks';
import { clampScalarForGradient } from './cosine-math';
import type { MarginStateStore } from './running-state';

/** Options every margin made by {@link defineMargin} takes: the scale and the gradient mode. */
export type CommonMarginOptions = {
  /** Scale of the logits [64]. */
  s: number;
  /** `exact` [default] or `straight-through`. */
  gradient: GradientMode;
};

/** What {@link defineMargin}'s `setup` returns: the formula, in float64 and optionally as tensors. */
export interface MarginFormula {
  /** t(θ) in float64, θ in radians in [0, π]. */
  targetLogit(theta: number, step: number): number;
  /** dt/d(cos θ) in float64; NaN where it does not exist. Without it, central differences are used. */
  targetDerivative?(cosTheta: number, step: number): number;
  /**
   * t for target cosines [B] as tfjs ops. Without it the margin evaluates `targetLogit` on the
   * host (a synchronous read of B values per call: fine on cpu and wasm, a stall on GPUs).
   */
  target?(cosTarget: tf.Tensor1D, context: MarginContext): tf.Tensor;
  /**
   * dt/dc as tfjs ops, finite everywhere. With `target`, it gives the loss its closed-form
   * backward pass; a `target` without it is differentiated by tfjs autodiff, which needs the
   * gradient registry (`@tensorflow/tfjs` or `@tensorflow/tfjs-layers` loaded).
   */
  targetGradient?(cosTarget: tf.Tensor1D, context: MarginContext): tf.Tensor;
  /** Angles where the formula changes branch, for `checkMargin`. */
  boundaries?(step: number): readonly number[];
  /**
   * A general tensor form, for margins that move non-target logits, read the feature norms with
   * their gradient, or return fewer columns than there are centre rows (sub-centres). It
   * replaces the default, and the margin then exposes no `target`/`targetGradient` (even if
   * given here): the loss must differentiate these logits, not a target-only stand-in.
   */
  logits?(cosines: tf.Tensor2D, labels: tf.Tensor1D, context: MarginContext): tf.Tensor;
  /** An extra loss term (MagFace). */
  regularizer?(context: MarginContext): tf.Scalar;
  /**
   * The running state, for a margin whose training calls change later results: usually a
   * `RunningState` made in `setup` (one per margin instance). It becomes the margin's
   * `readState`/`restoreState`; `checkMargin` reports a margin that carries state without it.
   */
  state?: MarginStateStore;
}

/** A margin plugin: its registry name, its own options with defaults, and a formula per option set. */
export interface MarginDefinition<Name extends string, Own extends MarginOptions> {
  /** Registry name, kebab-case by convention. */
  readonly name: Name;
  /** The margin's own options with their defaults (`s` and `gradient` are added for you). */
  readonly defaults: Own;
  /** Default scale when the caller gives none [64]. */
  readonly defaultScale?: number;
  /**
   * Throws for bad options; `fail(key, message)` throws the typed {@link MarginOptionError}.
   * Unknown keys, `s` and `gradient` are checked before this runs.
   */
  validate?(options: Readonly<Own & CommonMarginOptions>, fail: (key: string, message: string) => never): void;
  /** Builds the formula once per option set (precompute cos m, sin m, thresholds here). */
  setup(options: Readonly<Own & CommonMarginOptions>): MarginFormula;
}

/** The options a factory accepts: every option optional. */
export type MarginInput<Own extends MarginOptions> = { [K in keyof Own]?: Own[K] } & Partial<CommonMarginOptions>;

/** A function that builds a margin from options, as `registerMargin` stores and `createMargin` calls. */
export type MarginFactory<
  Name extends string = string,
  Input = MarginOptions,
  Options extends MarginOptions = MarginOptions,
> = ((options?: Input) => MarginFn<Name, Options>) & { readonly marginName: Name };

/**
 * Makes a margin factory from a scalar formula t(θ), optionally with a tensor formula and its
 * derivative: the plain-object plugin style of unplugin. The result fills in the rest of
 * {@link MarginFn}: option defaults and checks, `s`, the gradient mode, and
 * `logits = where(onehot, s·t(c_y), s·c)`.
 *
 * - With `target` and `targetGradient`, the margin gets the closed-form loss path (no tfjs
 *   gradient registry needed).
 * - With `target` only, the target is differentiated by tfjs autodiff.
 * - With neither, the scalar formula is evaluated on the host, with `targetDerivative` (or
 *   central differences) as its derivative.
 * - With `logits`, the margin is a general one: it carries no target-only tensor form, and
 *   `marginSoftmaxLoss` differentiates its `logits` by tfjs autodiff.
 *
 * @example
 * // t = cos θ − m·θ/π: a margin that grows with the angle
 * const linearAngular = defineMargin({
 *   name: 'linear-angular',
 *   defaults: { m: 0.3 },
 *   validate: (o, fail) => { if (o.m < 0) fail('m', `must be ≥ 0, got ${o.m}`); },
 *   setup: ({ m }) => ({
 *     targetLogit: (theta) => Math.cos(theta) - (m * theta) / Math.PI,
 *   }),
 * });
 * const margin = linearAngular({ m: 0.2, s: 30 });
 */
export function defineMargin<const Name extends string, Own extends MarginOptions>(
  definition: MarginDefinition<Name, Own>,
): MarginFactory<Name, MarginInput<Own>, Own & CommonMarginOptions> {
  const { name, defaults, defaultScale = 64 } = definition;
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidMarginError(`defineMargin: name must be a non-empty string, got ${String(name)}`);
  }
  const knownKeys = [...Object.keys(defaults), 's', 'gradient'];
  const factory = (input?: MarginInput<Own>): MarginFn<Name, Own & CommonMarginOptions> => {
    const given = (input ?? {}) as Record<string, unknown>;
    checkKnownKeys(name, given, knownKeys);
    const merged: Record<string, unknown> = { ...defaults, s: defaultScale, gradient: 'exact' };
    for (const [key, value] of Object.entries(given)) if (value !== undefined) merged[key] = value;
    checkNumberOption(name, 's', merged.s, { min: 0, minExclusive: true });
    checkChoiceOption(name, 'gradient', merged.gradient, ['exact', 'straight-through'] as const);
    const options = Object.freeze(merged) as Readonly<Own & CommonMarginOptions>;
    definition.validate?.(options, (key, message) => {
      throw new MarginOptionError(name, key, message);
    });
    return buildMargin(name, options, definition.setup(options));
  };
  return Object.assign(factory, { marginName: name });
}

function buildMargin<Name extends string, Options extends MarginOptions & CommonMarginOptions>(
  name: Name,
  options: Readonly<Options>,
  formula: MarginFormula,
): MarginFn<Name, Options> {
  if (typeof formula?.targetLogit !== 'function') {
    throw new InvalidMarginError(`${name}: setup must return an object with a targetLogit(theta) function`);
  }
  const scale = options.s;
  const gradient = options.gradient;
  const stepOf = (context?: MarginContext): number => context?.step ?? 0;

  const scalarDerivative = (c: number, step: number): number => {
    const clamped = clampScalarForGradient(c);
    const exact = formula.targetDerivative?.(clamped, step);
    if (exact !== undefined && Number.isFinite(exact)) return exact;
    // Central difference in c (float64); the clamp keeps c ± h inside [−1, 1].
    const h = Math.min(1e-6, (1 - Math.abs(clamped)) / 2);
    const at = (x: number) => formula.targetLogit(Math.acos(x), step);
    return (at(clamped + h) - at(clamped - h)) / (2 * h);
  };

  // Without a tensor formula, evaluate the scalar one on the host.
  const rawTarget =
    formula.target ??
    ((c: tf.Tensor1D, context: MarginContext): tf.Tensor => {
      const values = c.dataSync();
      const step = stepOf(context);
      const out = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        out[i] = formula.targetLogit(Math.acos(Math.min(Math.max(values[i] as number, -1), 1)), step);
      }
      return tf.tensor1d(out);
    });
  const rawGradient =
    formula.targetGradient ??
    (formula.target === undefined
      ? (c: tf.Tensor1D, context: MarginContext): tf.Tensor1D => {
          const values = c.dataSync();
          const step = stepOf(context);
          return tf.tensor1d(Float32Array.from(values, (v) => scalarDerivative(v, step)));
        }
      : undefined);

  const target = (cosTarget: tf.Tensor1D, context: MarginContext = {}): tf.Tensor1D => {
    if (gradient === 'exact' && rawGradient === undefined) {
      // Autodiff through the plugin's own ops.
      return tf.tidy(() => rawTarget(cosTarget, context)) as tf.Tensor1D;
    }
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const c = args[0] as tf.Tensor1D;
      const save = args[1] as tf.GradSaveFunc;
      save([c]);
      return {
        value: rawTarget(c, context),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          gradient === 'straight-through'
            ? tf.clone(dy) // arcface_torch: the value carries the margin, the gradient is that of cos θ
            : tf.mul(dy, (rawGradient as NonNullable<typeof rawGradient>)(saved[0] as tf.Tensor1D, context)),
      };
    });
    return op(cosTarget) as tf.Tensor1D;
  };

  // A margin with its own `logits` may move more than the target column, read the norms or
  // pool sub-centres: a target-only tensor form (synthesised from the scalar formula or given
  // beside `logits`) would send the loss down its closed-form path and skip those logits, so it
  // gets none.
  const targetOnly = formula.logits === undefined;
  const margin: MarginFn<Name, Options> = {
    specificationVersion: MARGIN_SPEC_VERSION,
    name,
    options,
    scale,
    gradient,
    targetLogit: (theta: number, step = 0) => formula.targetLogit(theta, step),
    targetDerivative: (cosTheta: number, step = 0) =>
      formula.targetDerivative !== undefined ? formula.targetDerivative(cosTheta, step) : scalarDerivative(cosTheta, step),
    ...(targetOnly ? { target } : {}),
    logits: (cosines: tf.Tensor2D, labels: tf.Tensor1D, context: MarginContext = {}) =>
      tf.tidy(() =>
        formula.logits !== undefined
          ? (formula.logits(cosines, labels, context) as tf.Tensor2D)
          : targetOnlyLogits(cosines, labels, scale, (c) => target(c, context)),
      ),
  };
  if (rawGradient !== undefined && targetOnly) {
    const exactGradient = rawGradient;
    Object.assign(margin, {
      targetGradient: (cosTarget: tf.Tensor1D, context: MarginContext = {}) =>
        tf.tidy(() => exactGradient(cosTarget, context)) as tf.Tensor1D,
    });
  }
  if (formula.boundaries !== undefined) {
    const boundaries = formula.boundaries;
    Object.assign(margin, { boundaries: (step = 0) => boundaries(step) });
  }
  if (formula.regularizer !== undefined) Object.assign(margin, { regularizer: formula.regularizer });
  if (formula.state !== undefined) {
    const state = formula.state;
    if (typeof state?.read !== 'function' || typeof state.restore !== 'function') {
      throw new InvalidMarginError(`${name}: setup's state must have read() and restore(state) functions (a RunningState does)`);
    }
    Object.assign(margin, {
      readState: () => state.read(),
      restoreState: (saved: Parameters<MarginStateStore['restore']>[0]) => state.restore(saved),
    });
  }
  return Object.freeze(margin);
}

/**
 * Scaled logits that change only the target column: where(onehot, s·t(c_y), s·c).
 * Differentiable by tfjs autodiff (the gradient of `target` is its own).
 */
export function targetOnlyLogits(
  cosines: tf.Tensor2D,
  labels: tf.Tensor1D,
  scale: number,
  target: (cosTarget: tf.Tensor1D) => tf.Tensor1D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, classes] = cosines.shape;
    const onehot = tf.oneHot(labels, classes);
    const cosTarget = tf.sum(tf.mul(cosines, tf.cast(onehot, 'float32')), 1) as tf.Tensor1D;
    const shifted = tf.mul(tf.reshape(target(cosTarget), [batch, 1]), scale);
    return tf.where(tf.cast(onehot, 'bool'), shifted, tf.mul(cosines, scale)) as tf.Tensor2D;
  });
}

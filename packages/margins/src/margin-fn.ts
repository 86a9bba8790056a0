import type * as tf from '@tensorflow/tfjs-core';

/**
 * The margin specification. Every other part of the library accepts only this type; a change
 * here is a breaking change of `@arcface/margins`.
 *
 * A margin maps the cosine between an embedding and its own class centre, cos θ_y, to an
 * unscaled target value t(θ) in cosine space; the trained logit is s · t. Margins that also
 * move non-target logits (CurricularFace) or read feature norms (AdaFace, MagFace) implement
 * the general tensor form {@link MarginFn.logits}.
 */
export const MARGIN_SPEC_VERSION = 'v1' as const;

/** How the margin's gradient reaches the cosines. */
export type GradientMode =
  /** Autodiff through the formula, with a clamped, finite derivative at θ = 0 and θ = π. */
  | 'exact'
  /**
   * arcface_torch since 2022: the margin shifts the value, while the gradient is that of the
   * plain cosine (∂t/∂cos θ taken as 1).
   */
  | 'straight-through';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

/** Options of a margin: JSON-serialisable, so `createMargin(m.name, m.options)` rebuilds `m`. */
export type MarginOptions = { [key: string]: JsonValue | undefined };

/**
 * A margin's running state in JSON form: what it carries from one training call to the next
 * (CurricularFace's t, AdaFace's running mean and std of ‖x‖). Values are plain JSON, so a
 * checkpoint can store them with `JSON.stringify`; float32 values are written so that they read
 * back bit for bit (see `RunningState` for the encoding the built-in helper uses).
 */
export type MarginState = { [key: string]: JsonValue };

/** What a margin may read besides cosines and labels. */
export interface MarginContext {
  /** Training step, for scheduled margins (SphereFace λ annealing). Defaults to 0. */
  readonly step?: number;
  /**
   * ‖x‖ of each embedding before normalisation, [B] (AdaFace, MagFace). In `logits` and
   * `regularizer` they carry their gradient to the embeddings (detach them to steer without
   * one); in the closed-form `target` path they are constants.
   */
  readonly featureNorms?: tf.Tensor1D;
  /**
   * Whether the call is a training step: margins with running statistics update them only
   * then. The losses pass `false` unless their caller passes `training: true`.
   */
  readonly training?: boolean;
}

export interface MarginFn<Name extends string = string, Options extends MarginOptions = MarginOptions> {
  /** Spec version this object implements. */
  readonly specificationVersion: typeof MARGIN_SPEC_VERSION;
  /** The registry name: `createMargin(name, options)` rebuilds an equal margin. */
  readonly name: Name;
  /** Every option, defaults filled in, JSON-serialisable. */
  readonly options: Readonly<Options>;
  /** The scale s the logits are multiplied by. */
  readonly scale: number;
  /** How gradients pass through the target. */
  readonly gradient: GradientMode;

  /**
   * The unscaled target value t(θ) for the target class, θ in radians, in float64.
   * Drives plots and property checks.
   */
  targetLogit(theta: number, step?: number): number;

  /**
   * dt/d(cos θ) in float64, where it exists (NaN where it does not, e.g. at a
   * non-differentiable boundary). Optional; `checkMargin` uses finite differences without it.
   */
  targetDerivative?(cosTheta: number, step?: number): number;

  /**
   * Target-only tensor form: unscaled t for target cosines c_y [B]. A margin that provides
   * this (and leaves non-target logits as s · cos θ_j) gets the fast analytic loss path.
   */
  target?(cosTarget: tf.Tensor1D, context: MarginContext): tf.Tensor1D;

  /**
   * dt/dc for target cosines [B], as a tensor: the exact derivative, finite everywhere
   * (clamped near θ = 0 and θ = π). Together with {@link target} it lets the loss compute its
   * backward pass in closed form, with no gradient registry. Ignored in straight-through mode.
   */
  targetGradient?(cosTarget: tf.Tensor1D, context: MarginContext): tf.Tensor1D;

  /**
   * The general tensor form: cosines [B, C] (float32, in [-1, 1]) and int32 labels [B] →
   * scaled logits [B, C]. Must be differentiable with tfjs autodiff.
   */
  logits(cosines: tf.Tensor2D, labels: tf.Tensor1D, context?: MarginContext): tf.Tensor2D;

  /**
   * An extra loss term added to the cross-entropy (MagFace's feature-norm regulariser).
   * Returns a scalar; absent means none.
   */
  regularizer?(context: MarginContext): tf.Scalar;

  /**
   * Angles θ in (0, π) where the formula changes branch or turns (π − m for ArcFace, π/2 for
   * `easy`, kπ/m for SphereFace). Optional; `checkMargin` samples on both sides of each.
   */
  boundaries?(step?: number): readonly number[];

  /**
   * The running state, read asynchronously (it lives in tensors, and synchronous reads fail on
   * WebGPU in Node). A margin whose training calls change later results (CurricularFace's t,
   * AdaFace's running μ/σ) must implement this and {@link restoreState}; a stateless margin
   * implements neither. `checkMargin` reports a margin whose logits depend on past training
   * calls but that has no state to read.
   */
  readState?(): Promise<MarginState>;

  /**
   * Puts back a state that {@link readState} returned (from this margin or one built from the
   * same name and options), bit for bit: the next calls then give exactly what they gave after
   * the state was read. Throws a typed error naming the key for a state of another shape.
   */
  restoreState?(state: MarginState): void;
}

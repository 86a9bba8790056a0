import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the compiled WebGPU step trains: a backbone as a list of ops over float32 NHWC tensors,
 * the margin softmax head on its embeddings, and the optimiser. Shapes are fixed (batch
 * included), so every kernel, buffer and bind group can be made once. The trainer lowers a
 * tfjs-layers model into this form; anything it cannot express is refused there, by name.
 */
export interface TrainingGraph {
  /** Shape of every tensor, batch first; ids index this list. */
  readonly tensors: readonly (readonly number[])[];
  /** The images, [B, H, W, C]. */
  readonly input: number;
  /** The backbone's output, [B, D]: the embeddings the head normalises. */
  readonly embeddings: number;
  readonly ops: readonly GraphOp[];
  readonly params: readonly GraphParam[];
  readonly head: GraphHead;
  readonly optimizer: GraphOptimizer;
  /** Global-norm clip of the backbone's gradient (the head's centres are not clipped). */
  readonly clipNorm?: number;
}

/** A value the step reads and keeps: a weight, a frozen weight, or a batch-norm running statistic. */
export interface GraphParam {
  readonly name: string;
  readonly variable: tf.Variable;
  /**
   * `backbone` weights are trained and clipped; `centers` are trained, not clipped; `frozen`
   * weights are read only (iResNet's fixed embedding γ); `statistic`s are written by batch norm.
   */
  readonly role: 'backbone' | 'centers' | 'frozen' | 'statistic';
  /** The optimiser's slots of a trained weight, in the optimiser's order, mirrored after each step. */
  readonly slots?: readonly tf.Variable[];
}

export type GraphOp =
  /** y = x·scale + offset (a `Rescaling` input layer). */
  | { readonly kind: 'rescale'; readonly x: number; readonly y: number; readonly scale: number; readonly offset: number }
  /**
   * Grouped 2-D convolution without bias. The filter is laid out [kh, kw, in, out/groups]:
   * tfjs' Conv2D kernel when groups = 1, its DepthwiseConv2D kernel when groups = in, and
   * the grouped form of `@arcface/backbones` otherwise. Zero padding `padding` = [top, left];
   * bottom and right follow from the output size.
   */
  | {
      readonly kind: 'conv';
      readonly x: number;
      readonly y: number;
      readonly filter: number;
      readonly kernel: readonly [number, number];
      readonly stride: readonly [number, number];
      readonly padding: readonly [number, number];
      readonly groups: number;
    }
  /** Training-mode batch norm over every axis but the last; updates the running statistics. */
  | {
      readonly kind: 'batchNorm';
      readonly x: number;
      readonly y: number;
      readonly gamma?: number;
      readonly beta?: number;
      readonly movingMean: number;
      readonly movingVariance: number;
      readonly epsilon: number;
      /** tfjs' momentum: moving ← moving − (moving − batch)·(1 − momentum). */
      readonly momentum: number;
    }
  /** max(x, 0). */
  | { readonly kind: 'relu'; readonly x: number; readonly y: number }
  /** PReLU with one slope per channel (last axis). */
  | { readonly kind: 'prelu'; readonly x: number; readonly y: number; readonly alpha: number }
  /** y = x·W + b, x [B, K], W [K, U]. */
  | { readonly kind: 'dense'; readonly x: number; readonly y: number; readonly kernel: number; readonly bias?: number }
  | { readonly kind: 'add'; readonly a: number; readonly b: number; readonly y: number }
  /** Same data, another shape (Flatten, Reshape, Dropout at rate 0). */
  | { readonly kind: 'reshape'; readonly x: number; readonly y: number };

/**
 * The margin softmax head: loss = mean over the batch of CE(s·logits), logits = cos θ_j and,
 * for the label, t(cos θ_y). `wgsl` defines `fn margin_target(c: f32, p: f32) -> f32` and
 * `fn margin_slope(c: f32, p: f32) -> f32` (dt/dc); `p` is the per-step margin parameter
 * (SphereFace's λ), passed to each run.
 */
export interface GraphHead {
  readonly centers: number;
  readonly classes: number;
  readonly margin: { readonly name: string; readonly wgsl: string; readonly scale: number; readonly straightThrough: boolean };
}

export type GraphOptimizer =
  | { readonly kind: 'sgd'; readonly momentum: number; readonly weightDecay: number; readonly nesterov: boolean }
  | { readonly kind: 'adamw'; readonly beta1: number; readonly beta2: number; readonly epsilon: number; readonly weightDecay: number };

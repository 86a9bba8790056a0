import * as tfl from '@tensorflow/tfjs-layers';
import { leanBatchNormalization } from './batch-norm';
import { BackboneOptionsError } from './errors';
type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/**
 * Building blocks shared by the backbones. Every layer gets an explicit name (names are only
 * unique within one model, so two builds save the same `model.json`) and a seeded initialiser.
 */
export type SymbolicTensor = tfl.SymbolicTensor;

/**
 * PyTorch's BatchNorm defaults (momentum 0.1 ⇒ tfjs momentum 0.9, ε = 1e-5), as insightface uses
 * them. The layer saves as a standard `BatchNormalization`; its training step keeps less memory
 * alive for the backward pass (see {@link leanBatchNormalization}).
 */
export function batchNorm(input: SymbolicTensor, name: string, options: { scale?: boolean } = {}): SymbolicTensor {
  return leanBatchNormalization({ momentum: 0.9, epsilon: 1e-5, scale: options.scale ?? true, name }).apply(
    input,
  ) as SymbolicTensor;
}

/** PReLU with one slope per channel, initialised to 0.25 like `torch.nn.PReLU`. */
export function prelu(input: SymbolicTensor, name: string): SymbolicTensor {
  const shape = input.shape;
  // Share the slope over the spatial axes: one parameter per channel, as in PyTorch.
  const sharedAxes = shape.length === 4 ? [1, 2] : undefined;
  return tfl.layers
    .prelu({ alphaInitializer: tfl.initializers.constant({ value: 0.25 }), name, ...(sharedAxes ? { sharedAxes } : {}) })
    .apply(input) as SymbolicTensor;
}

export interface ConvOptions {
  readonly filters: number;
  readonly kernel: number;
  readonly stride?: number;
  /** Symmetric zero padding as in PyTorch (`padding=p`), applied before a 'valid' convolution. */
  readonly padding?: number;
  readonly name: string;
  readonly initializer: Initializer;
}

/**
 * How a convolution gets PyTorch's symmetric zero padding p. At stride 1 with p = (k − 1)/2 that
 * is TF's 'same' exactly, done inside the convolution: no padded copy of the input is made, nor
 * kept for the backward pass (two 212 MB tensors in iResNet's first block at B 64). Otherwise a
 * `ZeroPadding2D` layer comes first and the convolution is 'valid': TF's 'same' at stride 2 pads
 * only the bottom and right, which would shift every feature map by one pixel against insightface.
 */
function padding(input: SymbolicTensor, kernel: number, stride: number, p: number, name: string): { x: SymbolicTensor; mode: 'same' | 'valid' } {
  if (p === 0) return { x: input, mode: 'valid' };
  if (stride === 1 && kernel % 2 === 1 && p === (kernel - 1) / 2) return { x: input, mode: 'same' };
  return { x: tfl.layers.zeroPadding2d({ padding: p, name: `${name}_pad` }).apply(input) as SymbolicTensor, mode: 'valid' };
}

/** A bias-free convolution padded like PyTorch's (see {@link padding}). */
export function conv(input: SymbolicTensor, options: ConvOptions): SymbolicTensor {
  const { x, mode } = padding(input, options.kernel, options.stride ?? 1, options.padding ?? 0, options.name);
  return tfl.layers
    .conv2d({
      filters: options.filters,
      kernelSize: options.kernel,
      strides: options.stride ?? 1,
      padding: mode,
      useBias: false,
      kernelInitializer: options.initializer,
      name: options.name,
    })
    .apply(x) as SymbolicTensor;
}

/** Depthwise convolution (groups = channels), bias-free, PyTorch padding. */
export function depthwise(
  input: SymbolicTensor,
  options: Omit<ConvOptions, 'filters'>,
): SymbolicTensor {
  const { x, mode } = padding(input, options.kernel, options.stride ?? 1, options.padding ?? 0, options.name);
  return tfl.layers
    .depthwiseConv2d({
      kernelSize: options.kernel,
      strides: options.stride ?? 1,
      padding: mode,
      useBias: false,
      depthwiseInitializer: options.initializer,
      name: options.name,
    })
    .apply(x) as SymbolicTensor;
}

/** Names of the layers {@link groupedConv} builds around its depthwise convolution `name`. */
export const GROUPED_SUFFIXES = { split: '_split', part: '_part', sum: '_sum', merge: '_merge' } as const;

/**
 * PyTorch's grouped convolution (`groups` = g, neither 1 nor the channel count) from layers tfjs
 * has: a depthwise convolution with multiplier b = out/g gives, for every input channel i = k·a + j
 * of group k (a = in/g channels per group), b partial outputs; channel (k·a + j)·b + m. Reshaped
 * to [h·w·g, a, b], the a partial sums of each output sit side by side on the "width" axis, so a
 * `Cropping2D` per j and one `Add` sum them, and a last reshape lays out channel k·b + m, the
 * PyTorch output channel. Same weights as PyTorch's (in·k²·b), no masked or frozen extras.
 * The depthwise layer is named `name`; its kernel [k, k, in, b] holds W[k·b + m, j, ·, ·].
 */
export function groupedConv(input: SymbolicTensor, options: ConvOptions & { readonly groups: number }): SymbolicTensor {
  const channels = input.shape[3] as number;
  const { groups, filters, name } = options;
  if (channels % groups !== 0 || filters % groups !== 0) {
    throw new BackboneOptionsError(`${name}: ${channels} input and ${filters} output channels do not split into ${groups} groups`);
  }
  if (groups === 1) return conv(input, options);
  const perGroup = channels / groups;
  const multiplier = filters / groups;
  const stride = options.stride ?? 1;
  const { x: padded, mode } = padding(input, options.kernel, stride, options.padding ?? 0, name);
  let x = tfl.layers
    .depthwiseConv2d({
      kernelSize: options.kernel,
      strides: stride,
      padding: mode,
      depthMultiplier: multiplier,
      useBias: false,
      depthwiseInitializer: options.initializer,
      name,
    })
    .apply(padded) as SymbolicTensor;
  if (perGroup === 1) return x;
  const [h, w] = [x.shape[1] as number, x.shape[2] as number];
  x = tfl.layers.reshape({ targetShape: [h * w * groups, perGroup, multiplier], name: `${name}${GROUPED_SUFFIXES.split}` }).apply(x) as SymbolicTensor;
  const parts = Array.from({ length: perGroup }, (_, j) =>
    tfl.layers
      .cropping2D({ cropping: [[0, 0], [j, perGroup - 1 - j]], name: `${name}${GROUPED_SUFFIXES.part}${j}` })
      .apply(x) as SymbolicTensor,
  );
  const sum = tfl.layers.add({ name: `${name}${GROUPED_SUFFIXES.sum}` }).apply(parts) as SymbolicTensor;
  return tfl.layers.reshape({ targetShape: [h, w, filters], name: `${name}${GROUPED_SUFFIXES.merge}` }).apply(sum) as SymbolicTensor;
}

export function add(a: SymbolicTensor, b: SymbolicTensor, name: string): SymbolicTensor {
  return tfl.layers.add({ name }).apply([a, b]) as SymbolicTensor;
}

/** Name suffix of the embedding BN whose γ stays fixed at 1. */
export const FIXED_SCALE_SUFFIX = '_features';

/**
 * insightface's "E" output: BN → Dropout → FC → BN, the last BN with γ fixed at 1 (arcface_torch
 * sets `features.weight.requires_grad = False`). tfjs-layers cannot train a BN built with
 * `scale: false` (its training path reads γ unconditionally), so γ exists, starts at 1, and
 * {@link freezeFeatureScale} marks it non-trainable.
 */
export function embeddingOutput(
  input: SymbolicTensor,
  options: { embeddingSize: number; dropout: number; initializer: Initializer; prefix?: string },
): SymbolicTensor {
  const prefix = options.prefix ?? 'output';
  let x = batchNorm(input, `${prefix}_bn`);
  if (x.shape.length > 2) x = tfl.layers.flatten({ name: `${prefix}_flatten` }).apply(x) as SymbolicTensor;
  x = tfl.layers.dropout({ rate: options.dropout, name: `${prefix}_dropout` }).apply(x) as SymbolicTensor;
  x = tfl.layers
    .dense({ units: options.embeddingSize, kernelInitializer: options.initializer, name: `${prefix}_fc` })
    .apply(x) as SymbolicTensor;
  return batchNorm(x, `${prefix}${FIXED_SCALE_SUFFIX}`);
}

/**
 * Marks γ of every `*_features` BN as non-trainable. Per-weight trainability is not part of a
 * saved `model.json`, so builders call this and so does `loadBackbone`. Returns the model.
 */
export function freezeFeatureScale<M extends tfl.LayersModel>(model: M): M {
  for (const layer of model.layers) {
    if (layer.name.endsWith(FIXED_SCALE_SUFFIX) && layer.getClassName() === 'BatchNormalization') {
      for (const weight of layer.weights) {
        if (weight.originalName.endsWith('/gamma')) weight.trainable = false;
      }
    }
  }
  return model;
}

import * as tfl from '@tensorflow/tfjs-layers';
type Initializer = ReturnType<typeof tfl.initializers.zeros>;
import { BackboneOptionsError } from './errors';
import { add, batchNorm, conv, depthwise, groupedConv, prelu, type SymbolicTensor } from './layers';
import { preprocessingLayer } from './interop/preprocessing';
import { resolveOptions, scaled, seedSequence, type BackboneOptions } from './options';

/** Extra options of MobileFaceNet. */
export interface MobileFaceNetOptions extends BackboneOptions {
  /** Residual blocks per stage; insightface's `mbf` uses (1, 4, 6, 2), `mbf_large` (2, 8, 12, 4). */
  readonly blocks?: readonly [number, number, number, number];
  /** insightface's `scale`: 2 for `mbf`, 4 for `mbf_large`. `width` multiplies on top. */
  readonly scale?: number;
}

/**
 * insightface's MobileFaceNet (arcface_torch `mobilefacenet.py`): conv 3×3/2 stem, depthwise
 * stages of expand(1×1)–depthwise(3×3)–project(1×1, linear) blocks, a 1×1 conv to 512, and the
 * GDC head: a linear 7×7 depthwise conv, FC without bias and BN. Input sides must be multiples
 * of 16.
 *
 * With `blocks[0] = 1` the second block is insightface's grouped 3×3 conv (64 groups over
 * 128 channels), built by {@link groupedConv}: the same 2,059,520 parameters as arcface_torch's
 * `get_mbf(False, 512)`, so its `.pth` and `.onnx` files import weight for weight.
 *
 * @example
 * ```ts
 * const model = mobileFaceNet();             // 112×112×3 → 512, ≈2.06M parameters
 * ```
 */
export function mobileFaceNet(options: MobileFaceNetOptions = {}): tfl.LayersModel {
  const o = resolveOptions('mobilefacenet', options, {
    inputShape: [112, 112, 3],
    embeddingSize: 512,
    width: 1,
    dropout: 0,
    seed: 2048,
  });
  const blocks = options.blocks ?? [1, 4, 6, 2];
  const scale = options.scale ?? 2;
  if (blocks.length !== 4 || !blocks.every((b) => Number.isInteger(b) && b >= 1)) {
    throw new BackboneOptionsError(`mobilefacenet: blocks must be four positive integers, got [${blocks.join(', ')}]`);
  }
  const [height, widthPx] = o.inputShape;
  if (height % 16 !== 0 || widthPx % 16 !== 0) {
    throw new BackboneOptionsError(`mobilefacenet: input sides must be multiples of 16, got ${height}×${widthPx}`);
  }
  const nextSeed = seedSequence(o.seed);
  // Kaiming normal, fan-out, as insightface initialises every conv and linear layer.
  const init = () => tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed: nextSeed() });
  const c = (channels: number) => scaled(channels, o.width);

  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  const normalised = preprocessingLayer(input, options.preprocessing);
  let x = convBlock(normalised, { filters: c(64 * scale), kernel: 3, stride: 2, padding: 1, name: 'stem', init });
  let counter = 0;
  const nextName = () => {
    counter += 1;
    return `dw${counter}`;
  };
  if (blocks[0] === 1) {
    x = groupedConv(x, { filters: c(64 * scale), kernel: 3, padding: 1, groups: c(64), name: 'stem_dw_conv', initializer: init() });
    x = batchNorm(x, 'stem_dw_bn');
    x = prelu(x, 'stem_dw_prelu');
  } else {
    x = residual(x, { channels: c(64 * scale), count: blocks[0], groups: c(128), nextName, init });
  }
  x = depthWiseBlock(x, { out: c(64 * scale), groups: c(128), stride: 2, residual: false, name: nextName(), init });
  x = residual(x, { channels: c(64 * scale), count: blocks[1], groups: c(128), nextName, init });
  x = depthWiseBlock(x, { out: c(128 * scale), groups: c(256), stride: 2, residual: false, name: nextName(), init });
  x = residual(x, { channels: c(128 * scale), count: blocks[2], groups: c(256), nextName, init });
  x = depthWiseBlock(x, { out: c(128 * scale), groups: c(512), stride: 2, residual: false, name: nextName(), init });
  x = residual(x, { channels: c(128 * scale), count: blocks[3], groups: c(256), nextName, init });
  x = convBlock(x, { filters: c(512), kernel: 1, name: 'conv_sep', init });

  // GDC: a linear depthwise conv over the whole remaining map (7×7 at 112 px), FC, BN.
  const [h, w] = [height / 16, widthPx / 16];
  x = tfl.layers
    .depthwiseConv2d({ kernelSize: [h, w], padding: 'valid', useBias: false, depthwiseInitializer: init(), name: 'gdc_dw_conv' })
    .apply(x) as SymbolicTensor;
  x = batchNorm(x, 'gdc_dw_bn');
  x = tfl.layers.flatten({ name: 'gdc_flatten' }).apply(x) as SymbolicTensor;
  if (o.dropout > 0) x = tfl.layers.dropout({ rate: o.dropout, name: 'gdc_dropout' }).apply(x) as SymbolicTensor;
  x = tfl.layers
    .dense({ units: o.embeddingSize, useBias: false, kernelInitializer: init(), name: 'gdc_fc' })
    .apply(x) as SymbolicTensor;
  // Not named '*_features': arcface_torch trains this BN's γ (only iResNet's is fixed).
  x = batchNorm(x, 'gdc_embedding_bn');
  return tfl.model({ inputs: input, outputs: x, name: 'mobilefacenet' });
}

type Init = () => Initializer;

function convBlock(
  input: SymbolicTensor,
  o: { filters: number; kernel: number; stride?: number; padding?: number; name: string; init: Init },
): SymbolicTensor {
  let x = conv(input, { filters: o.filters, kernel: o.kernel, stride: o.stride ?? 1, padding: o.padding ?? 0, name: `${o.name}_conv`, initializer: o.init() });
  x = batchNorm(x, `${o.name}_bn`);
  return prelu(x, `${o.name}_prelu`);
}

/** Expand 1×1 (BN, PReLU) → depthwise 3×3 (BN, PReLU) → project 1×1 (BN, linear), optional identity add. */
function depthWiseBlock(
  input: SymbolicTensor,
  o: { out: number; groups: number; stride: number; residual: boolean; name: string; init: Init },
): SymbolicTensor {
  let x = convBlock(input, { filters: o.groups, kernel: 1, name: `${o.name}_expand`, init: o.init });
  x = depthwise(x, { kernel: 3, stride: o.stride, padding: 1, name: `${o.name}_dw_conv`, initializer: o.init() });
  x = batchNorm(x, `${o.name}_dw_bn`);
  x = prelu(x, `${o.name}_dw_prelu`);
  x = conv(x, { filters: o.out, kernel: 1, name: `${o.name}_project_conv`, initializer: o.init() });
  x = batchNorm(x, `${o.name}_project_bn`);
  return o.residual ? add(x, input, `${o.name}_add`) : x;
}

function residual(
  input: SymbolicTensor,
  o: { channels: number; count: number; groups: number; nextName: () => string; init: Init },
): SymbolicTensor {
  let x = input;
  for (let i = 0; i < o.count; i += 1) {
    x = depthWiseBlock(x, { out: o.channels, groups: o.groups, stride: 1, residual: true, name: o.nextName(), init: o.init });
  }
  return x;
}

import * as tfl from '@tensorflow/tfjs-layers';
type Initializer = ReturnType<typeof tfl.initializers.zeros>;
import { BackboneOptionsError } from './errors';
import { add, batchNorm, freezeFeatureScale, conv, embeddingOutput, prelu, type SymbolicTensor } from './layers';
import { preprocessingLayer } from './interop/preprocessing';
import { resolveOptions, scaled, seedSequence, type BackboneOptions } from './options';

/** Blocks per stage of insightface's iResNets. */
export const IRESNET_LAYERS = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 14, 3],
  100: [3, 13, 30, 3],
  200: [6, 26, 60, 6],
} as const;

export type IResNetDepth = keyof typeof IRESNET_LAYERS;

/**
 * insightface's iResNet (arcface_torch `iresnet.py`): a 3×3 stem (conv–BN–PReLU, stride 1),
 * four stages of IBasicBlocks (BN–conv3×3–BN–PReLU–conv3×3(stride)–BN, plus a 1×1 conv + BN
 * shortcut where the shape changes), each stage halving the resolution, then the BN–Dropout–
 * FC–BN embedding. Input sides must be multiples of 16 (112 → 7×7 before the FC layer).
 * Convolutions start from N(0, 0.1) as in insightface.
 *
 * @example
 * ```ts
 * const model = iresnet(50);                 // 112×112×3 → 512, 43.6M parameters
 * const small = iresnet(18, { width: 0.25, inputShape: [32, 32, 3], embeddingSize: 128 });
 * ```
 */
export function iresnet(depth: IResNetDepth, options: BackboneOptions = {}): tfl.LayersModel {
  const name = `iresnet${depth}`;
  const layers = IRESNET_LAYERS[depth];
  if (layers === undefined) {
    throw new BackboneOptionsError(`iresnet: depth must be one of 18, 34, 50, 100, 200, got ${String(depth)}`);
  }
  const o = resolveOptions(name, options, {
    inputShape: [112, 112, 3],
    embeddingSize: 512,
    width: 1,
    dropout: 0,
    seed: 2048,
  });
  const [height, widthPx] = o.inputShape;
  if (height % 16 !== 0 || widthPx % 16 !== 0) {
    throw new BackboneOptionsError(`${name}: input sides must be multiples of 16 (four stride-2 stages), got ${height}×${widthPx}`);
  }
  const nextSeed = seedSequence(o.seed);
  const convInit = () => tfl.initializers.randomNormal({ mean: 0, stddev: 0.1, seed: nextSeed() });

  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  const stem = scaled(64, o.width);
  const normalised = preprocessingLayer(input, options.preprocessing);
  let x = conv(normalised, { filters: stem, kernel: 3, padding: 1, name: 'stem_conv', initializer: convInit() });
  x = batchNorm(x, 'stem_bn');
  x = prelu(x, 'stem_prelu');

  let inChannels = stem;
  const planes = [64, 128, 256, 512].map((c) => scaled(c, o.width));
  layers.forEach((blocks, stage) => {
    const out = planes[stage] as number;
    for (let b = 0; b < blocks; b += 1) {
      const stride = b === 0 ? 2 : 1;
      const prefix = `stage${stage + 1}_block${b + 1}`;
      const shortcutNeeded = stride !== 1 || inChannels !== out;
      x = basicBlock(x, { out, stride, prefix, shortcutNeeded, init: convInit });
      inChannels = out;
    }
  });

  const features = embeddingOutput(x, {
    embeddingSize: o.embeddingSize,
    dropout: o.dropout,
    // PyTorch's Linear default: U(−1/√fan_in, 1/√fan_in) = variance scaling 1/3, uniform.
    initializer: tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: nextSeed() }),
  });
  return freezeFeatureScale(tfl.model({ inputs: input, outputs: features, name }));
}

function basicBlock(
  input: SymbolicTensor,
  options: { out: number; stride: number; prefix: string; shortcutNeeded: boolean; init: () => Initializer },
): SymbolicTensor {
  const { out, stride, prefix } = options;
  let x = batchNorm(input, `${prefix}_bn1`);
  x = conv(x, { filters: out, kernel: 3, padding: 1, name: `${prefix}_conv1`, initializer: options.init() });
  x = batchNorm(x, `${prefix}_bn2`);
  x = prelu(x, `${prefix}_prelu`);
  x = conv(x, { filters: out, kernel: 3, stride, padding: 1, name: `${prefix}_conv2`, initializer: options.init() });
  x = batchNorm(x, `${prefix}_bn3`);
  let shortcut = input;
  if (options.shortcutNeeded) {
    shortcut = conv(input, { filters: out, kernel: 1, stride, name: `${prefix}_downsample_conv`, initializer: options.init() });
    shortcut = batchNorm(shortcut, `${prefix}_downsample_bn`);
  }
  return add(x, shortcut, `${prefix}_add`);
}

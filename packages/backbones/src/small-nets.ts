import * as tfl from '@tensorflow/tfjs-layers';
import { BackboneOptionsError } from './errors';
import { FIXED_SCALE_SUFFIX, batchNorm, conv, embeddingOutput, freezeFeatureScale, prelu, type SymbolicTensor } from './layers';
import { resolveOptions, scaled, seedSequence, type BackboneOptions } from './options';

/** Options of {@link tinyCnn}. */
export interface TinyCnnOptions extends BackboneOptions {
  /** Channels of each stride-2 stage before the width multiplier. Defaults to [16, 32, 64]. */
  readonly channels?: readonly number[];
}

/**
 * A small CNN for toy runs and CPU training: per stage one 3×3 stride-2 conv–BN–PReLU
 * (the resolution halves each stage), then insightface's BN–Dropout–FC–BN embedding. At
 * 32×32×3 with the default channels it costs about 0.8M multiply-adds per image.
 *
 * @example
 * ```ts
 * const model = tinyCnn({ inputShape: [32, 32, 1], embeddingSize: 64 });
 * ```
 */
export function tinyCnn(options: TinyCnnOptions = {}): tfl.LayersModel {
  const o = resolveOptions('tiny-cnn', options, {
    inputShape: [32, 32, 3],
    embeddingSize: 128,
    width: 1,
    dropout: 0,
    seed: 2048,
  });
  const channels = options.channels ?? [16, 32, 64];
  if (channels.length === 0 || !channels.every((n) => Number.isInteger(n) && n > 0)) {
    throw new BackboneOptionsError(`tiny-cnn: channels must be positive integers, got [${channels.join(', ')}]`);
  }
  const [height, widthPx] = o.inputShape;
  const factor = 2 ** channels.length;
  if (height % factor !== 0 || widthPx % factor !== 0) {
    throw new BackboneOptionsError(`tiny-cnn: input sides must be multiples of ${factor} for ${channels.length} stride-2 stages, got ${height}×${widthPx}`);
  }
  const nextSeed = seedSequence(o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  let x: SymbolicTensor = input;
  channels.forEach((c, i) => {
    const name = `stage${i + 1}`;
    x = conv(x, {
      filters: scaled(c, o.width),
      kernel: 3,
      stride: 2,
      padding: 1,
      name: `${name}_conv`,
      initializer: tfl.initializers.heNormal({ seed: nextSeed() }),
    });
    x = batchNorm(x, `${name}_bn`);
    x = prelu(x, `${name}_prelu`);
  });
  const features = embeddingOutput(x, {
    embeddingSize: o.embeddingSize,
    dropout: o.dropout,
    initializer: tfl.initializers.glorotUniform({ seed: nextSeed() }),
  });
  return freezeFeatureScale(tfl.model({ inputs: input, outputs: features, name: 'tiny-cnn' }));
}

/** Options of {@link mlp}. */
export interface MlpOptions extends BackboneOptions {
  /** Hidden layer sizes before the width multiplier. Defaults to [256]. */
  readonly hidden?: readonly number[];
}

/**
 * A multilayer perceptron: flatten, then per hidden layer Dense–BN–PReLU, then Dense–BN (γ
 * fixed) to the embedding. Trains on every backend (no convolution gradients needed), and with
 * `embeddingSize: 2` or `3` it is the paper's toy network whose features can be drawn.
 *
 * @example
 * ```ts
 * const toy = mlp({ inputShape: [16, 16, 1], embeddingSize: 2, hidden: [64, 64] });
 * ```
 */
export function mlp(options: MlpOptions = {}): tfl.LayersModel {
  const o = resolveOptions('mlp', options, {
    inputShape: [32, 32, 3],
    embeddingSize: 128,
    width: 1,
    dropout: 0,
    seed: 2048,
  });
  const hidden = options.hidden ?? [256];
  if (!hidden.every((n) => Number.isInteger(n) && n > 0)) {
    throw new BackboneOptionsError(`mlp: hidden sizes must be positive integers, got [${hidden.join(', ')}]`);
  }
  const nextSeed = seedSequence(o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  let x = tfl.layers.flatten({ name: 'flatten' }).apply(input) as SymbolicTensor;
  hidden.forEach((units, i) => {
    const name = `hidden${i + 1}`;
    x = tfl.layers
      .dense({ units: scaled(units, o.width), kernelInitializer: tfl.initializers.heNormal({ seed: nextSeed() }), name: `${name}_fc` })
      .apply(x) as SymbolicTensor;
    x = batchNorm(x, `${name}_bn`);
    x = prelu(x, `${name}_prelu`);
  });
  if (o.dropout > 0) x = tfl.layers.dropout({ rate: o.dropout, name: 'dropout' }).apply(x) as SymbolicTensor;
  x = tfl.layers
    .dense({ units: o.embeddingSize, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed() }), name: 'output_fc' })
    .apply(x) as SymbolicTensor;
  const features = batchNorm(x, `output${FIXED_SCALE_SUFFIX}`);
  return freezeFeatureScale(tfl.model({ inputs: input, outputs: features, name: 'mlp' }));
}

import type * as tfl from '@tensorflow/tfjs-layers';

/** Parameter counts of a model, split as PyTorch would see them. */
export interface ParameterCount {
  /** Weights the optimiser updates. */
  readonly trainable: number;
  /** Weights that are not trained (BatchNorm moving mean and variance: PyTorch "buffers"). */
  readonly nonTrainable: number;
}

/**
 * Counts a model's weights. PyTorch's `sum(p.numel() for p in model.parameters())` equals
 * `trainable` plus any γ that insightface keeps fixed (the last BN of iResNet, D weights,
 * which here is left out of the layer rather than frozen).
 *
 * @example
 * ```ts
 * countParameters(iresnet(50)).trainable; // 43,590,336 (+512 fixed γ, counted as non-trainable, = insightface's 43,590,848)
 * ```
 */
export function countParameters(model: tfl.LayersModel): ParameterCount {
  const size = (w: { shape: readonly (number | null)[] }) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
  const trainable = model.trainableWeights.reduce((sum, w) => sum + size(w), 0);
  const nonTrainable = model.nonTrainableWeights.reduce((sum, w) => sum + size(w), 0);
  return { trainable, nonTrainable };
}

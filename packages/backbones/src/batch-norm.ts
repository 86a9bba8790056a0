import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type StockBatchNormalization = ReturnType<typeof tfl.layers.batchNormalization>;
export type BatchNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;
type Kwargs = Record<string, unknown>;
type StockBatchNormalizationClass = (new (args?: BatchNormalizationArgs) => StockBatchNormalization) & { className: string };

/** The fields of tfjs-layers' layer that its declarations keep private but the training path needs. */
interface BatchNormalizationState {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly gamma?: tfl.LayerVariable;
  readonly beta?: tfl.LayerVariable;
  readonly movingMean: tfl.LayerVariable;
  readonly movingVariance: tfl.LayerVariable;
}

/**
 * tfjs-layers registers its class for deserialisation but does not export it by name; the
 * registry gives the constructor without building a throwaway layer (which would advance the
 * automatic layer-name counter).
 */
function stockBatchNormalizationClass(): StockBatchNormalizationClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
  if (entry === undefined) throw new Error('@tensorflow/tfjs-layers did not register BatchNormalization');
  return entry[0] as unknown as StockBatchNormalizationClass;
}

const StockBatchNormalization = stockBatchNormalizationClass();

/**
 * tfjs-layers' `BatchNormalization` with a training step that keeps less alive for the backward
 * pass. The stock layer differentiates `tf.moments` and `tf.batchNorm` op by op, so the tape holds
 * several full-size intermediates per layer (x − μ, its square, …) and the backward broadcasts
 * with `Tile`. Here normalisation is one custom-gradient op that saves only x and per-channel
 * statistics; its backward is the closed form
 *
 *   x̂ = (x − μ)·σ⁻¹,  ∂β = Σ dy,  ∂γ = Σ dy·x̂,  ∂x = γσ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)),
 *
 * with x̂ recomputed from x and per-channel vectors broadcast by shape, never tiled.
 *
 * Same numerics as the stock layer: the biased batch variance normalises, σ⁻¹ = 1/√(var + ε),
 * and the moving statistics move by `m ← m − (m − batch)·(1 − momentum)` with the same biased
 * variance. Inference, and inputs the lean step does not cover (a rank other than 2 or 4, a
 * channel axis other than the last, a non-float32 input), take the stock code path unchanged.
 * Unlike the stock training step, it also trains layers built with `scale: false` or
 * `center: false`.
 *
 * The class reports itself as `BatchNormalization` and is not registered for deserialisation,
 * so saved models stay standard tfjs-layers models and load with the stock class.
 */
export class LeanBatchNormalization extends StockBatchNormalization {
  static override className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : inputs;
    if (!kwargs['training'] || !(x instanceof tf.Tensor) || !this.coversInput(x)) return super.call(inputs, kwargs);
    const state = this as unknown as BatchNormalizationState;
    return tf.tidy(() => {
      const axes = reductionAxes(x.rank);
      const [mean, variance] = tf.unstack(batchStatistics(x, axes));
      const output = normalize(x, mean!, variance!, state.scale ? state.gamma!.read() : undefined, state.center ? state.beta!.read() : undefined, {
        axes,
        epsilon: state.epsilon,
      });
      moveAverage(state.movingMean, mean!, state.momentum);
      moveAverage(state.movingVariance, variance!, state.momentum);
      return output;
    });
  }

  private coversInput(x: tf.Tensor): boolean {
    const axis = (this as unknown as BatchNormalizationState).axis;
    return (x.rank === 2 || x.rank === 4) && (axis === -1 || axis === x.rank - 1) && x.dtype === 'float32';
  }
}

/** The options of `tfl.layers.batchNormalization`, building a {@link LeanBatchNormalization}. */
export function leanBatchNormalization(args: BatchNormalizationArgs = {}): LeanBatchNormalization {
  return new LeanBatchNormalization(args);
}

/**
 * Gives every stock `BatchNormalization` layer of a model (nested models included) the lean
 * training step, in place. The lean class adds no state of its own, so a stock layer becomes
 * one by taking its prototype: weights, names and configuration stay as they are. A loaded
 * model needs this because tfjs-layers 4.22 cannot deserialise a custom class for a layer nested
 * in a model (its custom-object lookup for nested layers reads a fixed key), and the class must
 * not replace the stock one in the global registry. Returns the model.
 */
export function useLeanBatchNormalization<M extends tfl.LayersModel>(model: M): M {
  for (const layer of model.layers) {
    if (Object.getPrototypeOf(layer) === StockBatchNormalization.prototype) {
      Object.setPrototypeOf(layer, LeanBatchNormalization.prototype);
    } else if (layer instanceof tfl.LayersModel) {
      useLeanBatchNormalization(layer);
    }
  }
  return model;
}

function reductionAxes(rank: number): number[] {
  return rank === 2 ? [0] : [0, 1, 2];
}

/**
 * Batch mean and biased variance, stacked as [2, C], outside the tape: the normalisation's own
 * gradient accounts for how they depend on x, and taping `squaredDifference` + `mean` would keep
 * the full-size squared deviations alive until the backward pass. The output never reaches a
 * loss (only the normalisation's forward and the moving averages read it), so its gradient is
 * never asked for; the zero gradient only states that nothing flows through it.
 * `squaredDifference` needs one full-size temporary where `tf.moments`' sub + square need two;
 * the variance agrees with `tf.moments`' to float32 rounding.
 */
const batchStatistics = (x: tf.Tensor, axes: number[]): tf.Tensor2D =>
  tf.customGrad((input) => {
    const xs = input as tf.Tensor;
    if (channelsLast(axes, xs.rank) && xs.dtype === 'float32' && tf.getKernel(BATCH_MOMENTS, tf.getBackend()) !== undefined) {
      // The backend's one-pass statistics (@arcface/backend on wasm: Σx and Σx² in float64).
      return { value: tf.engine().runKernel(BATCH_MOMENTS, { x: xs }) as tf.Tensor2D, gradFunc: () => tf.zerosLike(xs) };
    }
    const mean = tf.mean(xs, axes);
    const deviation = tf.squaredDifference(xs, broadcastable(mean, xs.rank));
    const variance = tf.mean(deviation, axes);
    deviation.dispose();
    return { value: tf.stack([mean, variance]) as tf.Tensor2D, gradFunc: () => tf.zerosLike(xs) };
  })(x);

/** A per-channel vector as [1, …, 1, C], which broadcasts against a rank-`rank` channels-last tensor. */
function broadcastable(vector: tf.Tensor, rank: number): tf.Tensor {
  const shape = new Array<number>(rank).fill(1);
  shape[rank - 1] = vector.size;
  return tf.reshape(vector, shape);
}

/**
 * γ·(x − μ)·σ⁻¹ + β as one op with the closed-form gradient. The forward saves x, μ, var and γ
 * (x is alive anyway as the previous layer's output); the backward makes four full-size passes
 * that write (x̂, dy·x̂, the correction mean(dy) + x̂·mean(dy·x̂), and ∂x), freeing each temporary
 * as soon as it is used.
 */
function normalize(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  options: { axes: number[]; epsilon: number },
): tf.Tensor {
  const { axes, epsilon } = options;
  const count = x.size / mean.size;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const value = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    save(gamma ? [x, mean, variance, gamma] : [x, mean, variance]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, v, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        if (channelsLast(axes, xs.rank) && tf.getKernel(BATCH_NORM_GRADIENT, tf.getBackend()) !== undefined) {
          // The backend's fused backward (@arcface/backend on wasm: two passes over the heap).
          const [dx, dGamma, dBeta] = tf.engine().runKernel(
            BATCH_NORM_GRADIENT,
            { x: xs, mean: mu, variance: v, dy, ...(g ? { scale: g } : {}) },
            { varianceEpsilon: epsilon },
          ) as tf.Tensor[];
          const outputs = [dx as tf.Tensor, ...(g ? [dGamma as tf.Tensor] : []), ...(beta ? [dBeta as tf.Tensor] : [])];
          tf.dispose([dGamma, dBeta].filter((t) => !outputs.includes(t as tf.Tensor)) as tf.Tensor[]);
          return outputs;
        }
        return tf.tidy(() => {
          const xHat = tf.batchNorm(xs, mu, v, undefined, undefined, epsilon);
          const dyXHat = tf.mul(dy, xHat);
          xHat.dispose();
          const sumDyXHat = tf.sum(dyXHat, axes);
          dyXHat.dispose();
          const sumDy = tf.sum(dy, axes);
          const correction = tf.batchNorm(xs, mu, v, tf.div(sumDy, count), tf.div(sumDyXHat, count), epsilon);
          // (dy − correction)·γ/√(var + ε): tf.batchNorm with a full-size "mean" is exactly that
          // fused subtract-and-scale, one pass instead of two.
          const rank = xs.rank;
          const dx = tf.batchNorm(dy, correction, broadcastable(v, rank), undefined, g ? broadcastable(g, rank) : undefined, epsilon);
          correction.dispose();
          return [dx, ...(g ? [sumDyXHat] : []), ...(beta ? [sumDy] : [])];
        });
      },
    };
  });
  return op(...inputs);
}

/**
 * The kernel a backend may register to compute this op's whole backward pass for
 * channels-last x: inputs x, mean, variance, dy and optionally scale; attribute
 * varianceEpsilon; outputs [∂x, ∂γ, ∂β] (`@arcface/backend` registers it for wasm).
 */
const BATCH_NORM_GRADIENT = 'ArcfaceBatchNormGradient';

/**
 * The kernel a backend may register for the batch statistics of channels-last x: input x,
 * output [2, C], the mean and the biased variance over every axis but the last.
 */
const BATCH_MOMENTS = 'ArcfaceBatchMoments';

/** Whether the statistics run over every axis but the last. */
function channelsLast(axes: readonly number[], rank: number): boolean {
  return axes.length === rank - 1 && axes.every((axis, i) => axis === i);
}

/** The stock layer's update, op for op: m ← m − (m − value)·(1 − momentum). */
function moveAverage(variable: tfl.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)));
  });
}

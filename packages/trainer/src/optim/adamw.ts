import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import type { Optimizer } from './optimizer';

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled weight decay λ (insightface's ViT configs: 0.1) [0.01]. */
  readonly weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter), as `torch.optim.AdamW`: p ← p − lr·λ·p, then
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·m̂/(√v̂ + ε) with
 * m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
 *
 * @example
 * const optimizer = adamw({ weightDecay: 0.1 });
 */
export function adamw(options: AdamWOptions = {}): Optimizer {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0.01;
  for (const [name, value] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(value >= 0 && value < 1)) throw new InvalidArgumentError(`adamw: ${name} must be in [0, 1), got ${value}`);
  }
  if (!(epsilon > 0)) throw new InvalidArgumentError(`adamw: epsilon must be > 0, got ${epsilon}`);
  if (!(weightDecay >= 0)) throw new InvalidArgumentError(`adamw: weightDecay must be ≥ 0, got ${weightDecay}`);
  return {
    name: 'adamw',
    options: { beta1, beta2, epsilon, weightDecay },
    slots: ['m', 'v'],
    update(param, grad, slots, lr, t) {
      const m = tf.add(tf.mul(slots[0] as tf.Tensor, beta1), tf.mul(grad, 1 - beta1));
      const v = tf.add(tf.mul(slots[1] as tf.Tensor, beta2), tf.mul(tf.square(grad), 1 - beta2));
      const mHat = tf.div(m, 1 - beta1 ** t);
      const vHat = tf.div(v, 1 - beta2 ** t);
      const decayed = weightDecay > 0 ? tf.mul(param, 1 - lr * weightDecay) : param;
      const next = tf.sub(decayed, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr));
      return { param: next, slots: [m, v] };
    },
  };
}

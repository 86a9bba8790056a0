import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@arcface/core';
import type { Optimizer } from './optimizer';

export interface SgdOptions {
  /** Momentum μ [0.9]. */
  readonly momentum?: number;
  /** L2 weight decay λ added to the gradient (PyTorch's coupled `weight_decay`) [5e-4]. */
  readonly weightDecay?: number;
  /** Nesterov momentum [false]. */
  readonly nesterov?: boolean;
}

/**
 * SGD with momentum and weight decay as `torch.optim.SGD` computes it (insightface's defaults:
 * lr 0.1, μ 0.9, λ 5e-4): g ← ∇ + λ·p; v ← μ·v + g; p ← p − lr·v (Nesterov: p − lr·(g + μ·v)).
 * The momentum buffer starts at zero, which equals PyTorch's "buffer = g on the first step".
 *
 * @example
 * const optimizer = sgd({ momentum: 0.9, weightDecay: 5e-4 });
 */
export function sgd(options: SgdOptions = {}): Optimizer {
  const momentum = options.momentum ?? 0.9;
  const weightDecay = options.weightDecay ?? 5e-4;
  const nesterov = options.nesterov ?? false;
  if (!(momentum >= 0 && momentum < 1)) throw new InvalidArgumentError(`sgd: momentum must be in [0, 1), got ${momentum}`);
  if (!(weightDecay >= 0)) throw new InvalidArgumentError(`sgd: weightDecay must be ≥ 0, got ${weightDecay}`);
  return {
    name: 'sgd',
    options: { momentum, weightDecay, nesterov: nesterov ? 1 : 0 },
    slots: ['momentum'],
    update(param, grad, slots, lr) {
      const g = weightDecay > 0 ? tf.add(grad, tf.mul(param, weightDecay)) : grad;
      const v = tf.add(tf.mul(slots[0] as tf.Tensor, momentum), g);
      const step = nesterov ? tf.add(g, tf.mul(v, momentum)) : v;
      return { param: tf.sub(param, tf.mul(step, lr)), slots: [v] };
    },
  };
}

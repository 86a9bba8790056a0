import { UnknownOptimizerError } from '../errors';
import { adamw, type AdamWOptions } from './adamw';
import type { Optimizer } from './optimizer';
import { sgd, type SgdOptions } from './sgd';

/** Optimiser settings by name, as a config file holds them. */
export type OptimizerConfig =
  | ({ readonly name: 'sgd' } & SgdOptions)
  | ({ readonly name: 'adamw' } & AdamWOptions);

export const OPTIMIZER_NAMES = ['sgd', 'adamw'] as const;

/**
 * Builds an optimiser from plain settings; unknown names throw {@link UnknownOptimizerError}.
 *
 * @example
 * createOptimizer({ name: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
 */
export function createOptimizer(config: OptimizerConfig | Optimizer): Optimizer {
  if ('update' in config && typeof config.update === 'function') return config;
  const { name, ...options } = config as OptimizerConfig;
  switch (name) {
    case 'sgd':
      return sgd(options as SgdOptions);
    case 'adamw':
      return adamw(options as AdamWOptions);
    default:
      throw new UnknownOptimizerError(String(name), OPTIMIZER_NAMES);
  }
}

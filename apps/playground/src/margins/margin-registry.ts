// The page's registry of margins, following the registry contract of @arcface/margins
// (registerMargin → unregister, a clash throws unless override, a miss lists the names).
import type { MarginFn, MarginOptions } from '@arcface/margins';
import {
  additiveAngular,
  additiveCosine,
  combined,
  multiplicativeAngular,
  softmaxNormalized,
} from './builtin-margins';
import { PlaygroundMarginError } from './margin-errors';

export type MarginFactory = (options?: MarginOptions) => MarginFn;

const BUILT_INS: ReadonlyArray<readonly [string, MarginFactory]> = [
  ['additive-angular', additiveAngular],
  ['additive-cosine', additiveCosine],
  ['multiplicative-angular', multiplicativeAngular],
  ['combined', combined],
  ['softmax-normalized', softmaxNormalized],
];

const registry = new Map<string, MarginFactory>(BUILT_INS);

/** Names of every registered margin, built-ins first. */
export function listMargins(): string[] {
  return [...registry.keys()];
}

/** Builds the margin registered as `name` with `options` (defaults filled in). */
export function createMargin(name: string, options?: MarginOptions): MarginFn {
  const factory = registry.get(name);
  if (factory === undefined) {
    throw new PlaygroundMarginError(`'${name}' is not registered; known: ${listMargins().join(', ')}`);
  }
  return factory(options);
}

/** Adds a margin factory; returns a function that removes it again. */
export function registerMargin(name: string, factory: MarginFactory, settings: { override?: boolean } = {}): () => void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PlaygroundMarginError(`a margin name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  const existing = registry.get(name);
  if (existing !== undefined && existing !== factory && settings.override !== true) {
    throw new PlaygroundMarginError(`a different margin factory is already registered as '${name}'; pass { override: true } to replace it`);
  }
  registry.set(name, factory);
  return () => {
    if (registry.get(name) === factory) registry.delete(name);
  };
}

/** The identity helper plugin authors wrap their factory in, for type inference. */
export function defineMargin(factory: MarginFactory): MarginFactory {
  return factory;
}

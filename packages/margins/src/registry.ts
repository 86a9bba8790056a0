import { InvalidMarginError, MarginAlreadyRegisteredError, UnknownMarginError } from './errors';
import { BUILTIN_MARGINS } from './builtin-margins';
import type { AdditiveAngularOptions } from './additive-angular';
import type { AdditiveCosineOptions } from './additive-cosine';
import type { CombinedOptions } from './combined';
import type { MultiplicativeAngularOptions } from './multiplicative-angular';
import type { SoftmaxNormalizedOptions } from './softmax-normalized';
import { MARGIN_SPEC_VERSION } from './margin-fn';
import type { MarginFn, MarginOptions } from './margin-fn';

/**
 * Margin names and the options each takes. Plugin authors add theirs by module augmentation,
 * and `createMargin` then type-checks their name and options:
 *
 * ```ts
 * declare module '@arcface/margins' {
 *   interface MarginRegistry { 'my-margin': { m?: number; s?: number } }
 * }
 * ```
 */
export interface MarginRegistry {
  'additive-angular': AdditiveAngularOptions;
  'additive-cosine': AdditiveCosineOptions;
  'multiplicative-angular': MultiplicativeAngularOptions;
  combined: CombinedOptions;
  'softmax-normalized': SoftmaxNormalizedOptions;
}

/** A name known to the type system: a built-in or one added to {@link MarginRegistry}. */
export type MarginName = keyof MarginRegistry & string;

/** What the registry stores: a function from options to a margin. */
export type RegisteredMarginFactory<Input = never> = (options?: Input) => MarginFn;

/** The options `registerMargin` takes. */
export interface RegisterMarginOptions {
  /** Replace a different factory already registered under the name (a built-in included). */
  readonly override?: boolean;
}

type AnyFactory = (options?: never) => MarginFn;

/**
 * The key of the shared registry on `globalThis`. `Symbol.for` makes two installed copies of
 * this package (a duplicate in node_modules, two bundles on a page) share one registry.
 */
export const MARGIN_REGISTRY_KEY = Symbol.for('@arcface/margins.registry');

function registry(): Map<string, AnyFactory> {
  const holder = globalThis as { [MARGIN_REGISTRY_KEY]?: Map<string, AnyFactory> };
  return (holder[MARGIN_REGISTRY_KEY] ??= new Map());
}

function builtin(name: string): AnyFactory | undefined {
  return Object.prototype.hasOwnProperty.call(BUILTIN_MARGINS, name)
    ? (BUILTIN_MARGINS[name as keyof typeof BUILTIN_MARGINS] as AnyFactory)
    : undefined;
}

function lookup(name: string): AnyFactory | undefined {
  return registry().get(name) ?? builtin(name);
}

/**
 * Registers a margin factory under `name` and returns a function that unregisters it (and
 * restores whatever it replaced). Registering the same factory again is a no-op whose
 * unregister does nothing; a different factory under a taken name (a built-in's included)
 * throws {@link MarginAlreadyRegisteredError} unless `{ override: true }`.
 *
 * @example
 * const unregister = registerMargin('linear-angular', linearAngular);
 * createMargin('linear-angular', { m: 0.2 });
 * unregister();
 */
export function registerMargin<N extends string>(
  name: N,
  factory: RegisteredMarginFactory<N extends MarginName ? MarginRegistry[N] : MarginOptions>,
  options: RegisterMarginOptions = {},
): () => void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidMarginError(`registerMargin: name must be a non-empty string, got ${String(name)}`);
  }
  if (typeof factory !== 'function') {
    throw new InvalidMarginError(`registerMargin('${name}'): factory must be a function, got ${typeof factory}`);
  }
  const entries = registry();
  const current = lookup(name);
  if (current === factory) return () => {};
  if (current !== undefined && options.override !== true) throw new MarginAlreadyRegisteredError(name);
  const replaced = entries.get(name);
  entries.set(name, factory as AnyFactory);
  return () => {
    if (entries.get(name) !== factory) return;
    if (replaced === undefined) entries.delete(name);
    else entries.set(name, replaced);
  };
}

/**
 * Builds a margin by name: a registered one, else a built-in. Unknown names throw
 * {@link UnknownMarginError}, which lists the known ones; bad options throw `MarginOptionError`.
 *
 * @example
 * const arc = createMargin('additive-angular', { m: 0.5, boundary: 'reflect' });
 * const same = createMargin(arc.name, arc.options); // margins rebuild from name + options
 */
export function createMargin<N extends MarginName>(name: N, options?: MarginRegistry[N]): MarginFn<N>;
/** A name only known at run time (from a config file, a CLI flag). */
export function createMargin<N extends string>(name: N & (string extends N ? unknown : never), options?: MarginOptions): MarginFn;
export function createMargin(name: string, options?: unknown): MarginFn {
  const factory = lookup(name);
  if (factory === undefined) throw new UnknownMarginError(String(name), listMargins());
  const margin = (factory as (options?: unknown) => MarginFn)(options);
  assertMarginShape(name, margin);
  return margin;
}

/** The names `createMargin` resolves: built-ins and registered ones, sorted. */
export function listMargins(): string[] {
  return [...new Set([...Object.keys(BUILTIN_MARGINS), ...registry().keys()])].sort();
}

function assertMarginShape(name: string, margin: unknown): asserts margin is MarginFn {
  const m = margin as Partial<MarginFn> | null;
  const problem =
    m === null || typeof m !== 'object'
      ? `returned ${m === null ? 'null' : typeof m}`
      : m.specificationVersion !== MARGIN_SPEC_VERSION
        ? `specificationVersion is ${String(m.specificationVersion)}, expected '${MARGIN_SPEC_VERSION}'`
        : typeof m.targetLogit !== 'function'
          ? 'has no targetLogit function'
          : typeof m.logits !== 'function'
            ? 'has no logits function'
            : !(typeof m.scale === 'number' && m.scale > 0)
              ? `has scale ${String(m.scale)}`
              : (typeof m.readState === 'function') !== (typeof m.restoreState === 'function')
                ? 'has only one of readState and restoreState (a margin with running state needs both)'
                : undefined;
  if (problem !== undefined) throw new InvalidMarginError(`the factory registered as '${name}' ${problem}`);
}

import type * as tfl from '@tensorflow/tfjs-layers';
import { BackboneRegistrationError, UnknownBackboneError } from './errors';
import { iresnet } from './iresnet';
import { mobileFaceNet, type MobileFaceNetOptions } from './mobilefacenet';
import type { BackboneOptions } from './options';
import { mlp, tinyCnn, type MlpOptions, type TinyCnnOptions } from './small-nets';

/** Builds a fresh, untrained model from JSON-serialisable options. */
export type BackboneFactory<Options extends BackboneOptions = BackboneOptions> = (options: Options) => tfl.LayersModel;

/**
 * Options per built-in name. Plugin authors add theirs by module augmentation:
 * `declare module '@arcface/backbones' { interface BackboneRegistry { 'my-net': MyOptions } }`.
 */
export interface BackboneRegistry {
  iresnet18: BackboneOptions;
  iresnet34: BackboneOptions;
  iresnet50: BackboneOptions;
  iresnet100: BackboneOptions;
  iresnet200: BackboneOptions;
  mobilefacenet: MobileFaceNetOptions;
  'tiny-cnn': TinyCnnOptions;
  mlp: MlpOptions;
}

export type BackboneName = keyof BackboneRegistry | (string & {});

const BUILT_INS: ReadonlyMap<string, BackboneFactory<never>> = new Map<string, BackboneFactory<never>>([
  ['iresnet18', (o: BackboneOptions) => iresnet(18, o)],
  ['iresnet34', (o: BackboneOptions) => iresnet(34, o)],
  ['iresnet50', (o: BackboneOptions) => iresnet(50, o)],
  ['iresnet100', (o: BackboneOptions) => iresnet(100, o)],
  ['iresnet200', (o: BackboneOptions) => iresnet(200, o)],
  ['mobilefacenet', (o: MobileFaceNetOptions) => mobileFaceNet(o)],
  ['tiny-cnn', (o: TinyCnnOptions) => tinyCnn(o)],
  ['mlp', (o: MlpOptions) => mlp(o)],
]);

// Plugins live on globalThis under a Symbol.for key, so two installed copies share them.
const REGISTRY_KEY = Symbol.for('@arcface/backbones/registry');

function plugins(): Map<string, BackboneFactory<never>> {
  const global = globalThis as { [REGISTRY_KEY]?: Map<string, BackboneFactory<never>> };
  global[REGISTRY_KEY] ??= new Map();
  return global[REGISTRY_KEY];
}

/** Every name `createBackbone` accepts, built-ins first. */
export function listBackbones(): string[] {
  return [...BUILT_INS.keys(), ...[...plugins().keys()].filter((n) => !BUILT_INS.has(n))];
}

/**
 * Builds a backbone by name. Unknown names throw {@link UnknownBackboneError} listing the known ones.
 *
 * @example
 * ```ts
 * const model = createBackbone('tiny-cnn', { inputShape: [32, 32, 1], embeddingSize: 64, seed: 7 });
 * model.predict(images); // [B, 64]
 * ```
 */
export function createBackbone<Name extends BackboneName>(
  name: Name,
  options: Name extends keyof BackboneRegistry ? BackboneRegistry[Name] : BackboneOptions = {} as never,
): tfl.LayersModel {
  const factory = plugins().get(name) ?? BUILT_INS.get(name);
  if (factory === undefined) throw new UnknownBackboneError(name, listBackbones());
  return (factory as BackboneFactory<BackboneOptions>)(options);
}

/**
 * Adds a backbone under `name`. Taking a built-in or registered name throws unless
 * `override: true`. Returns a function that removes it again.
 *
 * @example
 * ```ts
 * const unregister = registerBackbone('my-net', (o) => myNet(o));
 * ```
 */
export function registerBackbone<Options extends BackboneOptions>(
  name: string,
  factory: BackboneFactory<Options>,
  options: { override?: boolean } = {},
): () => void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new BackboneRegistrationError(`backbone name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (typeof factory !== 'function') {
    throw new BackboneRegistrationError(`backbone '${name}': factory must be a function, got ${typeof factory}`);
  }
  const map = plugins();
  const previous = map.get(name);
  if (previous === factory) return () => map.delete(name);
  if ((previous !== undefined || BUILT_INS.has(name)) && options.override !== true) {
    throw new BackboneRegistrationError(`backbone '${name}' is already registered; pass { override: true } to replace it`);
  }
  map.set(name, factory as BackboneFactory<never>);
  return () => {
    if (map.get(name) === factory) {
      if (previous === undefined) map.delete(name);
      else map.set(name, previous);
    }
  };
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Everything of tfjs and the process that this package may touch, as plain data: every object
 * or function is replaced by a number that stands for its identity (the same object always gets
 * the same number), so that `toEqual` compares identities and prints a readable difference.
 */
export interface TfjsState {
  readonly kernels: Record<string, { config: number; kernelFunc: number; setupFunc: number | null; disposeFunc: number | null }>;
  readonly gradients: Record<string, { config: number; gradFunc: number }>;
  readonly engineOwn: Record<string, string>;
  readonly engineMethods: Record<string, number>;
  readonly activeBackend: string | null;
  readonly factories: Record<string, { factory: number; priority: number }>;
  readonly flags: Record<string, unknown>;
  readonly globals: Record<string, string>;
  readonly builtins: Record<string, number>;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

function id(value: unknown): number {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) throw new Error(`not an object: ${String(value)}`);
  let known = ids.get(value);
  if (known === undefined) ids.set(value, (known = nextId++));
  return known;
}

/** A property descriptor as text: its attributes and the identity (or value) of what it holds. */
function describe(descriptor: PropertyDescriptor): string {
  const show = (v: unknown) => ((typeof v === 'object' && v !== null) || typeof v === 'function' ? `#${id(v)}` : JSON.stringify(v) ?? String(v));
  if ('value' in descriptor) return `value ${show(descriptor.value)} w${Number(descriptor.writable)} e${Number(descriptor.enumerable)} c${Number(descriptor.configurable)}`;
  return `get ${show(descriptor.get)} set ${show(descriptor.set)} e${Number(descriptor.enumerable)} c${Number(descriptor.configurable)}`;
}

function keyName(key: PropertyKey): string {
  return typeof key === 'symbol' ? `symbol ${key.description}` : String(key);
}

/** tfjs' state (kernel and gradient registries, engine methods, backends, flags) and the globals. */
export function tfjsState(): TfjsState {
  const tfGlobals = (globalThis as unknown as { _tfGlobals: Map<string, unknown> })._tfGlobals;
  const kernelRegistry = tfGlobals.get('kernelRegistry') as Map<string, tf.KernelConfig>;
  const gradRegistry = tfGlobals.get('gradRegistry') as Map<string, tf.GradConfig>;
  const kernels: TfjsState['kernels'] = {};
  for (const [key, config] of [...kernelRegistry].sort(([a], [b]) => a.localeCompare(b))) {
    kernels[key] = {
      config: id(config),
      kernelFunc: id(config.kernelFunc),
      setupFunc: config.setupFunc === undefined ? null : id(config.setupFunc),
      disposeFunc: config.disposeFunc === undefined ? null : id(config.disposeFunc),
    };
  }
  const gradients: TfjsState['gradients'] = {};
  for (const [key, config] of [...gradRegistry].sort(([a], [b]) => a.localeCompare(b))) gradients[key] = { config: id(config), gradFunc: id(config.gradFunc) };

  const engine = tf.engine() as unknown as Record<PropertyKey, unknown> & {
    backendName: string | null;
    registryFactory: Record<string, { factory: unknown; priority: number }>;
  };
  // Own properties that are functions or markers (data such as tensor counts changes with use).
  const engineOwn: Record<string, string> = {};
  for (const key of Reflect.ownKeys(engine)) {
    const descriptor = Object.getOwnPropertyDescriptor(engine, key) as PropertyDescriptor;
    if (typeof key === 'symbol' || typeof descriptor.value === 'function' || descriptor.get !== undefined) engineOwn[keyName(key)] = describe(descriptor);
  }
  const engineMethods: Record<string, number> = {};
  const prototype = Object.getPrototypeOf(engine) as object;
  for (const key of Reflect.ownKeys(prototype)) {
    const value = (Object.getOwnPropertyDescriptor(prototype, key) as PropertyDescriptor).value;
    if (typeof value === 'function') engineMethods[keyName(key)] = id(value);
  }
  const factories: TfjsState['factories'] = {};
  for (const [name, entry] of Object.entries(engine.registryFactory)) factories[name] = { factory: id(entry.factory), priority: entry.priority };

  const globals: Record<string, string> = {};
  // Node defines some globals lazily: a getter that turns into a value on first read, and
  // loading fetch's implementation adds a global of its own. All of that happens here first.
  for (const key of Reflect.ownKeys(globalThis)) {
    try {
      void (globalThis as Record<PropertyKey, unknown>)[key];
    } catch {
      // A getter that throws stays a getter.
    }
  }
  for (const key of Reflect.ownKeys(globalThis)) {
    globals[keyName(key)] = describe(Object.getOwnPropertyDescriptor(globalThis, key) as PropertyDescriptor);
  }
  const os = process.getBuiltinModule('os') as { cpus: unknown };
  const v8 = process.getBuiltinModule('v8') as { setFlagsFromString: unknown };
  const navigator = (globalThis as { navigator?: object }).navigator;
  return {
    kernels,
    gradients,
    engineOwn,
    engineMethods,
    activeBackend: engine.backendName,
    factories,
    flags: { ...(tf.env() as unknown as { flags: Record<string, unknown> }).flags },
    globals,
    builtins: {
      'os.cpus': id(os.cpus),
      'v8.setFlagsFromString': id(v8.setFlagsFromString),
      'URL.createObjectURL': id(URL.createObjectURL),
      ...(navigator === undefined ? {} : { navigator: id(navigator), ...Object.fromEntries(Reflect.ownKeys(navigator).map((k) => [`navigator.${keyName(k)}`, 0])) }),
    },
  };
}

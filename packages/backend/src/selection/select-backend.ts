import * as tf from '@tensorflow/tfjs-core';
import { NoBackendAvailableError, UnknownBackendError } from '../errors';
import { BACKEND_NAMES, type BackendName, type BackendSelection, type CandidateReport, type ModuleImporter } from './backend-selection';
import { CandidateSkipped, errorMessage, type Candidate } from './candidate';
import { BROWSER_CANDIDATES, NODE_CANDIDATES } from './candidates';
import { describeBackendSelection } from './describe-backend-selection';
import { probeBackend } from './probe-backend';
import { disableLeanBackprop, enableLeanBackprop, isLeanBackpropEnabled } from '../autodiff/lean-backprop';
import { defaultWasmThreads } from '../wasm/node-wasm-threads';
import { ChangeJournal } from '../restore/change-journal';

export interface SelectBackendOptions {
  /** Tried first, in this order, before the rest of the default order. */
  readonly prefer?: BackendName | readonly BackendName[];
  /** The whole list to try, in order (default: tensorflow, webgpu, wasm, cpu in Node; webgpu, webgl, wasm, cpu in a browser). */
  readonly candidates?: readonly BackendName[];
  /**
   * Run a tiny convolution training step on each candidate before choosing it (default true),
   * or a probe of your own.
   */
  readonly probe?: boolean | ((backend: string) => Promise<void>);
  /** How modules are loaded (default: dynamic `import()`). Tests inject fakes here. */
  readonly importer?: ModuleImporter;
  /** 'node' or 'browser'; detected when absent. */
  readonly environment?: 'node' | 'browser';
  /** Register the wasm training kernels when wasm is chosen (default true). */
  readonly wasmTrainingKernels?: boolean;
  /**
   * Register the WebGPU filter-gradient kernels when webgpu is chosen (default true): tfjs'
   * own make a training step about 150× slower than PyTorch CUDA (docs/benchmarks.md).
   */
  readonly webgpuTrainingKernels?: boolean;
  /**
   * Options for Dawn's `create()` in Node (the `webgpu` package), e.g.
   * `['enable-dawn-features=allow_unsafe_apis']` to expose GPU timestamps to `tf.profile`.
   */
  readonly dawnFlags?: readonly string[];
  /** Prefix the browser fetches tfjs' .wasm files from (`setWasmPaths`). */
  readonly wasmPaths?: string;
  /**
   * Free saved activations and intermediate gradients during backpropagation as soon as they
   * are used (default true): same gradients, about a third less peak memory per training step
   * ({@link enableLeanBackprop}). False leaves tfjs' own backpropagation in place.
   */
  readonly leanBackprop?: boolean;
  /**
   * XNNPACK threads for the wasm backend in Node (default: every core, at most 8). tfjs runs
   * wasm single-threaded in Node; this starts its threaded build. 1 keeps the single-threaded one.
   */
  readonly wasmThreads?: number;
}

// The specifier is a variable, so bundlers leave the optional packages out of browser builds.
const defaultImporter: ModuleImporter = (specifier) => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

function detectEnvironment(): 'node' | 'browser' {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return proc?.versions?.node !== undefined && typeof (globalThis as { window?: unknown }).window === 'undefined' ? 'node' : 'browser';
}

function order(defaults: readonly Candidate[], options: SelectBackendOptions): Candidate[] {
  const byName = new Map(defaults.map((c) => [c.name, c] as const));
  const check = (name: string): BackendName => {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new UnknownBackendError(name, BACKEND_NAMES);
    return name as BackendName;
  };
  const base = (options.candidates ?? defaults.map((c) => c.name)).map(check);
  const preferred = (options.prefer === undefined ? [] : typeof options.prefer === 'string' ? [options.prefer] : options.prefer).map(check);
  const names = [...new Set([...preferred, ...base])];
  return names.map((name) => {
    const candidate = byName.get(name);
    if (candidate === undefined) throw new UnknownBackendError(name, [...byName.keys()]);
    return candidate;
  });
}

/**
 * Picks, prepares and activates the fastest TensorFlow.js backend that works here. Each
 * candidate is optional (loaded by dynamic import), probed with a tiny convolution training
 * step, and reported: the first that passes is chosen, and every other one says why not.
 *
 * Node order: `tensorflow` (tfjs-node-gpu, then tfjs-node), `webgpu` (Dawn through the
 * `webgpu` package, with this package's filter-gradient kernels), `wasm` (with this package's training kernels), `cpu`.
 * Browser order: `webgpu`, `webgl`, `wasm`, `cpu`.
 *
 * @example
 * ```ts
 * const selection = await selectBackend({ prefer: 'wasm' });
 * console.log(describeBackendSelection(selection));
 * // backend: wasm (tfjs 'wasm') …
 * ```
 * @throws {NoBackendAvailableError} when every candidate was skipped or failed.
 * @throws {UnknownBackendError} for a name outside tensorflow, webgpu, webgl, wasm, cpu.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const environment = options.environment ?? detectEnvironment();
  const candidates = order(environment === 'node' ? NODE_CANDIDATES : BROWSER_CANDIDATES, options);
  const context = {
    importer: options.importer ?? defaultImporter,
    wasmTrainingKernels: options.wasmTrainingKernels ?? true,
    webgpuTrainingKernels: options.webgpuTrainingKernels ?? true,
    dawnFlags: options.dawnFlags ?? [],
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
    wasmThreads: options.wasmThreads ?? (environment === 'node' ? defaultWasmThreads() : 1),
    environment,
    notes: [] as string[],
  };
  const probe = options.probe === false ? undefined : typeof options.probe === 'function' ? options.probe : probeBackend;
  const reports: CandidateReport[] = [];
  let chosen: { name: BackendName; backend: string; journal: ChangeJournal } | undefined;
  const engine = tf.engine() as unknown as EngineInternals;
  const previousBackend = engine.backendName;
  // Flags the selection itself makes tfjs evaluate (tf.setBackend, tf.ready) go back with it.
  const selectionJournal = new ChangeJournal();
  selectionJournal.rememberFlags();

  for (const candidate of candidates) {
    if (chosen !== undefined) {
      reports.push({ name: candidate.name, status: 'skipped', reason: `not tried: ${chosen.name} came first and works` });
      continue;
    }
    const journal = new ChangeJournal();
    journal.rememberFlags();
    const instancesBefore = new Set(Object.keys(engine.registry));
    try {
      context.notes.length = 0;
      const backend = await candidate.prepare({ ...context, journal });
      const started = Date.now();
      if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed to initialise it`);
      await tf.ready();
      if (probe !== undefined) await probe(backend);
      const ms = Date.now() - started;
      chosen = { name: candidate.name, backend, journal };
      reports.push({
        name: candidate.name,
        status: 'chosen',
        reason:
          (probe === undefined ? `initialised (not probed) in ${ms} ms` : `ran a conv training step (forward + backward) correctly, set up in ${ms} ms`) +
          context.notes.map((note) => `; ${note}`).join(''),
      });
    } catch (error) {
      // Undone before the next candidate is tried: the backend instance it started, then what it registered and set.
      await undoCandidate(engine, journal, instancesBefore, previousBackend);
      if (error instanceof CandidateSkipped) reports.push({ name: candidate.name, status: 'skipped', reason: error.message });
      else reports.push({ name: candidate.name, status: 'failed', reason: errorMessage(error) });
    }
  }

  if (chosen === undefined) {
    selectionJournal.undo();
    throw new NoBackendAvailableError(describeBackendSelection({ name: 'cpu', chosen: 'none', environment, candidates: reports }));
  }
  if ((options.leanBackprop ?? true) && !isLeanBackpropEnabled()) {
    enableLeanBackprop();
    selectionJournal.onUndo(disableLeanBackprop);
  }
  const candidateJournal = chosen.journal;
  // Flags tfjs evaluates from here on, as the application trains, are not the selection's doing.
  candidateJournal.sealFlags();
  selectionJournal.sealFlags();
  let released: Promise<void> | undefined;
  return {
    name: chosen.name,
    chosen: chosen.backend,
    environment,
    candidates: reports,
    release() {
      released ??= (async () => {
        await restoreActiveBackend(engine, previousBackend);
        try {
          candidateJournal.undo();
        } finally {
          selectionJournal.undo();
        }
      })();
      return released;
    },
  };
}

/** The parts of tfjs-core's `Engine` the selection restores (stable across tfjs 3 and 4). */
interface EngineInternals {
  registry: Record<string, tf.KernelBackend>;
  backendName: string | null;
  backendInstance: tf.KernelBackend | null;
  pendingBackendInit: Promise<boolean> | null;
  disposeRegisteredKernels(backendName: string): void;
}

/** Makes `name` (or none, as before any tensor was made) the active backend again. */
async function restoreActiveBackend(engine: EngineInternals, name: string | null): Promise<void> {
  if (engine.backendName === name) return;
  if (name !== null && engine.registry[name] !== undefined) {
    await tf.setBackend(name);
    return;
  }
  // No backend was active (or the one that was is gone): tfjs picks one again on next use.
  engine.pendingBackendInit = null;
  engine.backendName = null;
  engine.backendInstance = null;
}

/**
 * Takes back a failed candidate: disposes the backend instances it initialised (tfjs'
 * `removeBackend` without forgetting the factory, so the backend can still be chosen), makes
 * the previously active backend active again, and undoes its journal.
 */
async function undoCandidate(engine: EngineInternals, journal: ChangeJournal, instancesBefore: ReadonlySet<string>, previousBackend: string | null): Promise<void> {
  for (const name of Object.keys(engine.registry)) {
    if (instancesBefore.has(name)) continue;
    const instance = engine.registry[name] as tf.KernelBackend;
    try {
      engine.disposeRegisteredKernels(name);
      instance.dispose();
    } catch {
      // A backend that failed half-way may not dispose cleanly; it is dropped all the same.
    }
    delete engine.registry[name];
    if (engine.backendName === name) {
      engine.pendingBackendInit = null;
      engine.backendName = null;
      engine.backendInstance = null;
    }
  }
  await restoreActiveBackend(engine, previousBackend);
  journal.undo();
}

import * as tf from '@tensorflow/tfjs-core';
import type { ModuleImporter } from '../selection/backend-selection';
import type { ChangeJournal } from '../restore/change-journal';

/**
 * Starts tfjs' multi-threaded wasm build (XNNPACK on a pthread pool) in Node.
 *
 * @tensorflow/tfjs-backend-wasm 4.22 ships `tfjs-backend-wasm-threaded-simd.wasm` and its
 * Emscripten glue, whose Node branch runs pthreads on `worker_threads`, but its `init()` keeps
 * Node single-threaded: `WASM_HAS_MULTITHREAD_SUPPORT` answers false there, the pthread worker
 * script is handed over as a `blob:` URL that Node's `Worker` cannot start, and each worker then
 * loads the main script from a Blob that it cannot `importScripts` either.
 *
 * So the backend is made here the way `init()` makes it, with the glue's own options: the
 * worker script comes from memory (a `data:` URL holding tfjs' worker code with the main script
 * inside it, nothing on disk), and the `BackendWasm` is put in tfjs' registry for `setBackend`.
 * The glue assigns `globalThis.Worker` (Node's) for itself: the journal puts it back.
 *
 * The glue also caps the thread count at half of `os.cpus().length` (it assumes two hardware
 * threads per core), so a 2-vCPU machine or container would get one thread. The count it reads
 * is raised only while the runtime's static constructors run (where it is read): from the
 * glue's `preRun` hook to its `onRuntimeInitialized`, one synchronous stretch in which no
 * other code can run.
 */

interface WasmModuleApi {
  version_wasm?: string;
  setThreadsCount?: (threads: number) => void;
  getThreadsCount?: () => number;
  BackendWasm?: new (module: unknown) => tf.KernelBackend;
}

interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  PThread?: {
    unusedWorkers?: Array<{ unref?: () => void }>;
    runningWorkers?: Array<{ unref?: () => void }>;
    terminateAllThreads?: () => void;
  };
  tfjs?: unknown;
}

type GlueFactory = (config: Record<string, unknown>) => { then(resolve: (module: EmscriptenModule) => void, reject: (error: unknown) => void): unknown };

/** What happened: the threads now running kernels, or why it stayed single-threaded. */
export interface WasmThreadsOutcome {
  readonly threads: number;
  readonly note: string;
}

const GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
/** The name the pthread workers ask `importScripts` for: their code holds the main script already. */
const MAIN_SCRIPT = 'arcface:tfjs-backend-wasm-threaded-simd.js';

/**
 * A Node built-in without an import statement, so that browser bundles (which include this
 * file, never run it) reference none (`process.getBuiltinModule`, Node ≥ 20.16; older Nodes
 * stay single-threaded, saying why).
 */
function nodeBuiltin<T>(name: string): T {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof get !== 'function') throw new Error('this Node has no process.getBuiltinModule (Node ≥ 20.16 needed for wasm threads)');
  return get(name) as T;
}

function defaultExport<T>(module: unknown): T {
  const m = module as { default?: unknown };
  return (m.default ?? m) as T;
}

/**
 * The pthread worker as an ES module in a `data:` URL (Node's `Worker` takes those, and no
 * file). It gives the two scripts what they expect of a CommonJS worker (`require`,
 * `__filename`) and runs them as tfjs' worker would: the main script first, then the worker
 * script, each by a global eval; a request for the main script is then already served.
 */
export function pthreadWorkerUrl(mainScript: string, workerScript: string): URL {
  const serveMain = `;(function () { var load = global.importScripts; global.importScripts = function (f) { if (f === ${JSON.stringify(MAIN_SCRIPT)}) return; return load(f); }; })();`;
  const module = [
    // 'module' without the node: prefix, like every Node built-in this package names: the
    // browser bundle then carries no Node specifier, not even inside a string.
    `import { createRequire } from 'module';`,
    `globalThis.require = createRequire(${JSON.stringify(nodeBuiltin<{ execPath: string }>('process').execPath)});`,
    `globalThis.__filename = ${JSON.stringify(MAIN_SCRIPT)};`,
    `(0, eval)(${JSON.stringify(mainScript)});`,
    `(0, eval)(${JSON.stringify(workerScript + serveMain)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(module)}`);
}

/**
 * Raises the core count `os.cpus()` reports to `2 × threads` until the returned function is
 * called (the glue keeps half the reported count, then caps the pool at it).
 */
function raiseCoreCount(threads: number): () => void {
  const os = nodeBuiltin<{ cpus: () => unknown[] }>('os');
  const cpus = os.cpus;
  const reported = cpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => reported[i % Math.max(1, reported.length)]);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    os.cpus = cpus;
  };
}

/** Instantiates the threaded glue with its workers from memory; resolves to the ready module. */
async function startGlue(factory: GlueFactory, workerUrl: URL, threads: number): Promise<EmscriptenModule> {
  let restoreCores = () => {};
  try {
    return await new Promise<{ module: EmscriptenModule }>((resolve, reject) => {
      const config = {
        locateFile: (path: string, prefix: string) => (path.endsWith('.worker.js') ? workerUrl : prefix + path),
        mainScriptUrlOrBlob: MAIN_SCRIPT,
        // The runtime reads the core count in its static constructors, which run synchronously
        // between these two hooks.
        preRun: [() => (restoreCores = raiseCoreCount(threads))],
        onRuntimeInitialized: () => restoreCores(),
        onAbort: (what: unknown) => {
          restoreCores();
          reject(new Error(`the threaded wasm build aborted: ${String(what)}`));
        },
      };
      // Wrapped in an object: the Emscripten module is itself thenable (tfjs' init does the same).
      factory(config).then((module) => resolve({ module }), reject);
    }).then((wrapped) => wrapped.module);
  } finally {
    restoreCores();
  }
}

/** The C entry points `BackendWasm` calls, bound as tfjs' `init()` binds them. */
function bindEntryPoints(module: EmscriptenModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * Initialises the `wasm` backend with `threads` XNNPACK threads in Node (the backend must be
 * registered and not yet initialised), recording in `journal` what it changes. Falls back to
 * one thread, saying why, when the threaded build cannot start; the caller's `setBackend`
 * then starts tfjs' own single-threaded build.
 */
export async function initialiseNodeWasmThreads(
  wasm: WasmModuleApi,
  threads: number,
  importer: ModuleImporter,
  journal: ChangeJournal,
): Promise<WasmThreadsOutcome> {
  const engine = tf.engine() as unknown as { registry: Record<string, tf.KernelBackend | undefined> };
  if (engine.registry.wasm !== undefined) {
    const running = wasm.getThreadsCount?.() ?? 1;
    return { threads: running, note: `already initialised with ${running} thread${running === 1 ? '' : 's'}` };
  }
  if (threads <= 1) return { threads: 1, note: 'one thread requested' };
  let module: EmscriptenModule | undefined;
  try {
    const factory = defaultExport<GlueFactory>(await importer(GLUE));
    const { wasmWorkerContents } = defaultExport<{ wasmWorkerContents?: string }>(await importer(WORKER));
    if (typeof factory !== 'function' || typeof wasmWorkerContents !== 'string' || typeof wasm.BackendWasm !== 'function' || wasm.setThreadsCount === undefined) {
      throw new Error('this @tensorflow/tfjs-backend-wasm has no threaded build to start');
    }
    // tfjs escapes the newlines inside the worker's string literals the same way before making its Blob.
    const workerUrl = pthreadWorkerUrl(`var WasmBackendModuleThreadedSimd = ${factory.toString()};`, wasmWorkerContents.replace(/\n/g, '\\n'));
    // The glue's Node branch sets globalThis.Worker to worker_threads' Worker.
    journal.remember(globalThis, 'Worker');
    module = await startGlue(factory, workerUrl, threads);
    bindEntryPoints(module);
    wasm.setThreadsCount(threads);
    journal.onUndo(() => wasm.setThreadsCount?.(-1));
    const backend = new wasm.BackendWasm(module);
    if (engine.registry.wasm !== undefined) throw new Error('another wasm backend was initialised meanwhile');
    engine.registry.wasm = backend;
    // Idle pthread workers must not keep a finished process alive.
    for (const w of [...(module.PThread?.unusedWorkers ?? []), ...(module.PThread?.runningWorkers ?? [])]) w.unref?.();
    const running = wasm.getThreadsCount?.() ?? 1;
    return { threads: running, note: `${running} XNNPACK thread${running === 1 ? '' : 's'} (threaded SIMD build)` };
  } catch (error) {
    module?.PThread?.terminateAllThreads?.();
    wasm.setThreadsCount?.(-1);
    return { threads: 1, note: `single-threaded: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The number of threads to ask for by default: every core Node reports, at most 8 (tfjs' pool). */
export function defaultWasmThreads(): number {
  try {
    const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('os');
    return Math.min(8, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  } catch {
    return 1;
  }
}

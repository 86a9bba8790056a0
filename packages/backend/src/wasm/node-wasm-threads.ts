import * as tf from '@tensorflow/tfjs-core';
import { setNativeKernelThreads } from './native/native-kernels';
import type { ModuleImporter } from '../selection/backend-selection';

/**
 * Starts tfjs' multi-threaded wasm build (XNNPACK on a pthread pool) in Node.
 *
 * @tensorflow/tfjs-backend-wasm 4.22 ships `tfjs-backend-wasm-threaded-simd.wasm` and its
 * Emscripten glue, whose Node branch runs pthreads on `worker_threads`, but three things keep
 * it single-threaded in Node:
 * 1. the `WASM_HAS_MULTITHREAD_SUPPORT` flag answers false whenever it runs in Node;
 * 2. the pthread worker script is handed over as a `blob:` URL (`URL.createObjectURL`), which
 *    Node's `Worker` cannot start, and each worker then loads the main script from a Blob it
 *    cannot `importScripts` either;
 * 3. the thread count is capped at half of `os.cpus().length` (it assumes two hardware threads
 *    per core), so a 2-vCPU machine or container gets one thread.
 * Here the two scripts are written to files (a temporary folder, derived from the installed
 * package at run time), `URL.createObjectURL` hands out the worker's file while the backend
 * initialises, and the core count the glue reads is raised to allow the requested threads. All
 * three patches are undone as soon as the backend is up. The workers are `unref`ed so that they
 * never keep a finished process alive.
 */

interface WasmModuleApi {
  version_wasm?: string;
  setThreadsCount?: (threads: number) => void;
  getThreadsCount?: () => number;
}

interface PthreadWorkers {
  unusedWorkers?: Array<{ unref?: () => void }>;
  runningWorkers?: Array<{ unref?: () => void }>;
}

/** What happened: the threads now running kernels, or why it stayed single-threaded. */
export interface WasmThreadsOutcome {
  readonly threads: number;
  readonly note: string;
}

const GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

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

/** Writes the worker and main scripts (once per tfjs version) and returns the worker's path. */
async function writeScripts(importer: ModuleImporter, version: string): Promise<string> {
  const { mkdirSync, writeFileSync, renameSync, existsSync } = nodeBuiltin<typeof import('node:fs')>('fs');
  const { join } = nodeBuiltin<typeof import('node:path')>('path');
  const { tmpdir } = nodeBuiltin<typeof import('node:os')>('os');
  const dir = join(tmpdir(), `arcface-tfjs-wasm-threads-${version}`);
  const main = join(dir, 'main.cjs');
  const worker = join(dir, 'worker.cjs');
  if (existsSync(main) && existsSync(worker)) return worker;
  const factory = defaultExport<(config: unknown) => unknown>(await importer(GLUE));
  const { wasmWorkerContents } = defaultExport<{ wasmWorkerContents: string }>(await importer(WORKER));
  if (typeof factory !== 'function' || typeof wasmWorkerContents !== 'string') {
    throw new Error('this @tensorflow/tfjs-backend-wasm has no threaded build to start');
  }
  mkdirSync(dir, { recursive: true });
  const write = (path: string, text: string) => {
    // Written aside and renamed: a concurrent process never reads half a script.
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  };
  write(main, `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`);
  // tfjs escapes the newlines inside the worker's string literals the same way before making its Blob.
  // Each worker is told to load the main script from a Blob; it loads the file instead.
  write(
    worker,
    `${wasmWorkerContents.replace(/\n/g, '\\n')}\n;(function () { var load = global.importScripts; ` +
      `global.importScripts = function (f) { return load(String(f).startsWith('blob:') ? ${JSON.stringify(main)} : f); }; })();\n`,
  );
  return worker;
}

/**
 * Initialises the `wasm` backend with `threads` XNNPACK threads in Node (the backend must be
 * registered and not yet initialised). Falls back to one thread, saying why, when the threaded
 * build cannot start; throws only when the backend cannot start at all.
 */
export async function initialiseNodeWasmThreads(
  wasm: WasmModuleApi,
  threads: number,
  importer: ModuleImporter,
): Promise<WasmThreadsOutcome> {
  if (tf.engine().registry.wasm !== undefined) {
    const running = wasm.getThreadsCount?.() ?? 1;
    return { threads: running, note: `already initialised with ${running} thread${running === 1 ? '' : 's'}` };
  }
  if (threads <= 1) return { threads: 1, note: 'one thread requested' };
  let worker: string;
  try {
    worker = await writeScripts(importer, wasm.version_wasm ?? tf.version_core);
  } catch (error) {
    return { threads: 1, note: `single-threaded: ${error instanceof Error ? error.message : String(error)}` };
  }
  const os = nodeBuiltin<{ cpus: () => unknown[] }>('os');
  const cpus = os.cpus;
  const createObjectURL = URL.createObjectURL;
  try {
    URL.createObjectURL = ((blob: Blob) => (blob.type === 'application/javascript' ? worker : createObjectURL(blob))) as typeof URL.createObjectURL;
    // The glue keeps half the reported count, then caps the pool at it.
    os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % Math.max(1, cpus().length)]);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount?.(threads);
    if (await tf.setBackend('wasm')) {
      const module = (tf.engine().registry.wasm as unknown as { wasm?: { PThread?: PthreadWorkers } }).wasm;
      for (const w of [...(module?.PThread?.unusedWorkers ?? []), ...(module?.PThread?.runningWorkers ?? [])]) w.unref?.();
      const running = wasm.getThreadsCount?.() ?? 1;
      // The native kernels share the heap and take as many threads as XNNPACK.
      setNativeKernelThreads(running);
      return { threads: running, note: `${running} XNNPACK thread${running === 1 ? '' : 's'} (threaded SIMD build)` };
    }
  } catch {
    // Reported below; the single-threaded build is tried next.
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount?.(1);
  return { threads: 1, note: 'single-threaded: the threaded build failed to start' };
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

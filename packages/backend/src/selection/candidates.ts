import * as tf from '@tensorflow/tfjs-core';
import { initialiseNodeWasmThreads } from '../wasm/node-wasm-threads';
import { activeWasmTrainingKernels, registerWasmTrainingKernels } from '../wasm/register-wasm-training-kernels';
import { activeWebgpuTrainingKernels, registerWebgpuTrainingKernels } from '../webgpu/register-webgpu-training-kernels';
import type { ChangeJournal } from '../restore/change-journal';
import { CandidateSkipped, errorMessage, importOrSkip, isModuleMissing, type Candidate, type CandidateContext } from './candidate';

/** Requires `importer` to have registered the tfjs backend `name` with this copy of tfjs-core. */
function requireRegistered(name: string, specifier: string): void {
  if (tf.findBackendFactory(name) === null || tf.findBackendFactory(name) === undefined) {
    throw new Error(
      `${specifier} loaded but registered no '${name}' backend with this copy of @tensorflow/tfjs-core ` +
        `(${tf.version_core}); two copies of tfjs-core are probably installed — align their versions`,
    );
  }
}

/** Registers the WebGPU training kernels unless some are already, and records how to take them back. */
function webgpuKernels(journal: ChangeJournal): void {
  if (activeWebgpuTrainingKernels('webgpu') !== undefined) return;
  const registration = registerWebgpuTrainingKernels();
  journal.onUndo(() => registration.unregister());
}

/**
 * Native TensorFlow through tfjs-node-gpu (CUDA), then tfjs-node (CPU). Both install
 * libtensorflow from outside the npm registry, so they are often absent: each absence is said.
 */
export const tensorflowCandidate: Candidate = {
  name: 'tensorflow',
  async prepare({ importer }: CandidateContext): Promise<string> {
    const absent: string[] = [];
    const attempts: ReadonlyArray<[string, string]> = [
      ['@tensorflow/tfjs-node-gpu', '`npm i @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 + cuDNN 8.1)'],
      ['@tensorflow/tfjs-node', '`npm i @tensorflow/tfjs-node` (downloads libtensorflow at install time)'],
    ];
    for (const [specifier, howToInstall] of attempts) {
      try {
        await importer(specifier);
      } catch (error) {
        if (isModuleMissing(error)) {
          absent.push(`the package ${specifier} is not installed — ${howToInstall}`);
          continue;
        }
        // Installed without its install script (pnpm 10 and `--ignore-scripts` skip it): the
        // libtensorflow binding was never downloaded. As unusable as absent, and fixable.
        if (/native addon module .* can not be found/i.test(errorMessage(error))) {
          absent.push(`the package ${specifier} is installed but its native addon was never built (its install script downloads libtensorflow) — \`npm rebuild ${specifier}\``);
          continue;
        }
        throw new Error(`${specifier} failed to load: ${errorMessage(error)}`);
      }
      requireRegistered('tensorflow', specifier);
      return 'tensorflow';
    }
    throw new CandidateSkipped(absent.join('; '));
  },
};

interface DawnModule {
  create(flags: string[]): { requestAdapter(): Promise<unknown> };
  globals: Record<string, unknown>;
}

/**
 * WebGPU in Node through Dawn (the `webgpu` package). Its globals go onto `globalThis` only
 * once an adapter is found, so a machine without a GPU is left as it was.
 */
export const nodeWebgpuCandidate: Candidate = {
  name: 'webgpu',
  async prepare({ importer, webgpuTrainingKernels, dawnFlags, journal }: CandidateContext): Promise<string> {
    const dawn = (await importOrSkip(importer, 'webgpu', '`npm i webgpu @tensorflow/tfjs-backend-webgpu` (Dawn for Node)')) as DawnModule;
    const gpu = dawn.create([...dawnFlags]);
    const adapter = await gpu.requestAdapter();
    if (adapter === null || adapter === undefined) {
      throw new CandidateSkipped('Dawn found no GPU adapter (no Vulkan, Metal or D3D12 device with a usable driver)');
    }
    // As Object.assign would, each recorded so that a failure or release() takes it back.
    for (const [key, value] of Object.entries(dawn.globals)) {
      journal.defineProperty(globalThis, key, { value, writable: true, enumerable: true, configurable: true });
    }
    const holder = globalThis as { navigator?: { gpu?: unknown } };
    if (holder.navigator === undefined) {
      journal.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } else if (holder.navigator.gpu === undefined) {
      journal.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
    }
    await importOrSkip(importer, '@tensorflow/tfjs-backend-webgpu', '`npm i @tensorflow/tfjs-backend-webgpu`');
    requireRegistered('webgpu', '@tensorflow/tfjs-backend-webgpu');
    // Measured on an H200: keeping small tensors on the GPU instead of forwarding them to the
    // CPU made a small conv training step 30% faster. (Flags come back with the journal.)
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    if (webgpuTrainingKernels) webgpuKernels(journal);
    return 'webgpu';
  },
};

/** WebGPU in the browser: needs `navigator.gpu` and an adapter. */
export const browserWebgpuCandidate: Candidate = {
  name: 'webgpu',
  async prepare({ importer, webgpuTrainingKernels, journal }: CandidateContext): Promise<string> {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    if (gpu === undefined) throw new CandidateSkipped('this browser has no WebGPU (navigator.gpu is undefined)');
    if ((await gpu.requestAdapter()) === null) throw new CandidateSkipped('WebGPU is present but offered no adapter');
    await importOrSkip(importer, '@tensorflow/tfjs-backend-webgpu', '`npm i @tensorflow/tfjs-backend-webgpu`');
    requireRegistered('webgpu', '@tensorflow/tfjs-backend-webgpu');
    if (webgpuTrainingKernels) webgpuKernels(journal);
    return 'webgpu';
  },
};

export const webglCandidate: Candidate = {
  name: 'webgl',
  async prepare({ importer }: CandidateContext): Promise<string> {
    if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
      throw new CandidateSkipped('no canvas here (WebGL needs a browser)');
    }
    await importOrSkip(importer, '@tensorflow/tfjs-backend-webgl', '`npm i @tensorflow/tfjs-backend-webgl`');
    requireRegistered('webgl', '@tensorflow/tfjs-backend-webgl');
    return 'webgl';
  },
};

/** WASM (XNNPACK, SIMD), made able to train convolutions by this package's kernels. */
export const wasmCandidate: Candidate = {
  name: 'wasm',
  async prepare({ importer, wasmTrainingKernels, wasmPaths, wasmThreads, environment, notes, journal }: CandidateContext): Promise<string> {
    const wasm = (await importOrSkip(importer, '@tensorflow/tfjs-backend-wasm', '`npm i @tensorflow/tfjs-backend-wasm`')) as {
      setWasmPaths?: (prefix: string) => void;
      version_wasm?: string;
      setThreadsCount?: (threads: number) => void;
      getThreadsCount?: () => number;
      BackendWasm?: new (module: unknown) => tf.KernelBackend;
    };
    if (wasmPaths !== undefined) wasm.setWasmPaths?.(wasmPaths);
    requireRegistered('wasm', '@tensorflow/tfjs-backend-wasm');
    // Browsers start the threaded build themselves when the page is cross-origin isolated.
    if (environment === 'node') notes.push((await initialiseNodeWasmThreads(wasm, wasmThreads, importer, journal)).note);
    if (wasmTrainingKernels && activeWasmTrainingKernels() === undefined) {
      const registration = registerWasmTrainingKernels();
      journal.onUndo(() => registration.unregister());
    }
    return 'wasm';
  },
};

/** Plain JavaScript: always works, about 1000× slower than PyTorch on convolutions. */
export const cpuCandidate: Candidate = {
  name: 'cpu',
  async prepare({ importer }: CandidateContext): Promise<string> {
    await importOrSkip(importer, '@tensorflow/tfjs-backend-cpu', '`npm i @tensorflow/tfjs-backend-cpu`');
    requireRegistered('cpu', '@tensorflow/tfjs-backend-cpu');
    return 'cpu';
  },
};

export const NODE_CANDIDATES: readonly Candidate[] = [tensorflowCandidate, nodeWebgpuCandidate, wasmCandidate, cpuCandidate];
export const BROWSER_CANDIDATES: readonly Candidate[] = [browserWebgpuCandidate, webglCandidate, wasmCandidate, cpuCandidate];

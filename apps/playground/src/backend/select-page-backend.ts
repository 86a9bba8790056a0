// Picks the TensorFlow.js backend the toy trains on, through selectBackend of @arcface/backend:
// WebGPU, then WebGL, then WASM, then CPU, each probed with a small training step, every
// candidate reported with its reason.
import {
  describeBackendSelection,
  probeBackend,
  selectBackend,
  type BackendSelectionReport,
  type ModuleImporter,
} from '@arcface/backend';
import type { BackendReport, BackendRequest } from '../toy/toy-protocol';

export interface SelectPageBackendOptions {
  /** `auto`, or a backend to try first (the page's switch). */
  readonly prefer: BackendRequest;
  /** Where the `.wasm` binaries are served, relative to the page: never a CDN. */
  readonly wasmBase: string;
}

/**
 * The library loads each backend with `import(specifier)` on a computed name, which a bundler
 * cannot follow. Spelled out here, each becomes its own chunk of the build, fetched only when
 * tried, from the page's own origin.
 */
const importBackendModule: ModuleImporter = (specifier) => {
  switch (specifier) {
    case '@tensorflow/tfjs-backend-webgpu':
      return import('@tensorflow/tfjs-backend-webgpu');
    case '@tensorflow/tfjs-backend-webgl':
      return import('@tensorflow/tfjs-backend-webgl');
    case '@tensorflow/tfjs-backend-wasm':
      return import('@tensorflow/tfjs-backend-wasm');
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    default:
      // Worded like a missing module, so the candidate is reported as skipped.
      return Promise.reject(new Error(`Cannot find module '${specifier}': it is not part of the playground's build`));
  }
};

/**
 * Runs the library's probe, after refusing WebGL on a software rasteriser (SwiftShader,
 * llvmpipe: no usable GPU), which runs tfjs' shaders far slower than the WASM backend runs
 * the same maths on the CPU.
 */
async function probe(backend: string): Promise<void> {
  if (backend === 'webgl') {
    const renderer = webglRenderer();
    if (/swiftshader|llvmpipe|software/i.test(renderer)) throw new Error(`WebGL is a software renderer (${renderer}), slower than WASM`);
  }
  await probeBackend();
}

/**
 * Selects and activates a backend in this (worker) thread and says why, in words for the page.
 *
 * @example
 * const report = await selectPageBackend({ prefer: 'auto', wasmBase: new URL('wasm/', location.href).href });
 * report.name; // 'wasm' in a browser without a GPU
 */
export async function selectPageBackend(options: SelectPageBackendOptions): Promise<BackendReport> {
  const selection = await selectBackend({
    environment: 'browser',
    ...(options.prefer === 'auto' ? {} : { prefer: options.prefer }),
    importer: importBackendModule,
    probe,
    wasmPaths: options.wasmBase,
  });
  return reportOf(selection, options.prefer);
}

/** The page's one-line reason and one line per candidate (the title tooltip). */
export function reportOf(selection: BackendSelectionReport, prefer: BackendRequest): BackendReport {
  const before = selection.candidates.slice(0, selection.candidates.findIndex((c) => c.status === 'chosen'));
  const passedOver = before.filter((c) => c.name !== prefer).map((c) => c.name);
  const forced = before.find((c) => c.name === prefer);
  const reason =
    prefer === selection.name
      ? 'forced from the page'
      : forced !== undefined
        ? `${prefer} was asked for but could not be used (${forced.reason}); the fastest that works instead`
        : passedOver.length === 0
          ? 'the fastest available here'
          : `the fastest that works here (${passedOver.join(', ')} not usable)`;
  return {
    name: selection.name,
    reason,
    attempts: describeBackendSelection(selection)
      .split('\n')
      .slice(1)
      .map((line) => line.trim()),
  };
}

function webglRenderer(): string {
  if (typeof OffscreenCanvas === 'undefined') return 'unknown';
  const gl = (new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl')) as WebGLRenderingContext | null;
  if (gl === null || typeof gl.getExtension !== 'function') return 'unknown';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name: unknown = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  return typeof name === 'string' ? name : 'unknown';
}

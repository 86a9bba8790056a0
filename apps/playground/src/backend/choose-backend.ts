// Picks the fastest TensorFlow.js backend this browser offers: WebGPU, WebGL, WASM, CPU, with
// the reason for each choice. It follows the browser contract of @arcface/backend's
// selectBackend and stands in for it until that package exports it.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendReport, BackendRequest } from '../toy/toy-protocol';

const ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
type Candidate = (typeof ORDER)[number];

/** Where the `.wasm` binaries are served, relative to the page: never a CDN. */
export interface ChooseBackendOptions {
  readonly prefer: BackendRequest;
  readonly wasmBase: string;
}

/**
 * Registers and initialises one backend after another until one works, and says why.
 * Each backend module is imported only when tried, so a page on WebGL never loads the others.
 *
 * @example
 * const report = await chooseBackend({ prefer: 'auto', wasmBase: new URL('wasm/', location.href).href });
 */
export async function chooseBackend(options: ChooseBackendOptions): Promise<BackendReport> {
  const attempts: string[] = [];
  const candidates: readonly Candidate[] = options.prefer === 'auto' ? ORDER : [options.prefer, ...ORDER.filter((c) => c !== options.prefer)];
  for (const candidate of candidates) {
    const skip = await prepare(candidate, options.wasmBase);
    if (skip !== undefined) {
      attempts.push(`${candidate}: skipped, ${skip}`);
      continue;
    }
    try {
      if (await tf.setBackend(candidate)) {
        await tf.ready();
        // A backend can initialise and still fail on its first kernel (a lost GL context): try one.
        const probe = tf.tidy(() => tf.sum(tf.mul(tf.ones([4]), 2)));
        const value = (await probe.data())[0];
        probe.dispose();
        if (value !== 8) throw new Error(`a test sum gave ${value}`);
        const why =
          options.prefer === candidate
            ? 'forced from the page'
            : attempts.length === 0
              ? 'the fastest available here'
              : `the fastest that works here (${attempts.map((a) => a.split(':')[0]).join(', ')} not available)`;
        attempts.push(`${candidate}: chosen`);
        return { name: candidate, reason: why, attempts };
      }
      attempts.push(`${candidate}: skipped, failed to initialise`);
    } catch (error) {
      attempts.push(`${candidate}: skipped, ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend works here: ${attempts.join('; ')}`);
}

/** Loads a candidate's module; returns why it cannot be used, or undefined when it may be tried. */
async function prepare(candidate: Candidate, wasmBase: string): Promise<string | undefined> {
  switch (candidate) {
    case 'webgpu': {
      const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (gpu === undefined) return 'navigator.gpu is missing (no WebGPU in this browser)';
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (adapter === null || adapter === undefined) return 'no WebGPU adapter';
      await import('@tensorflow/tfjs-backend-webgpu');
      return undefined;
    }
    case 'webgl': {
      if (typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is missing';
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
      if (gl === null) return 'no WebGL context';
      const renderer = rendererName(gl);
      // A software rasteriser (SwiftShader, llvmpipe: no usable GPU) runs tfjs' shaders far
      // slower than the WASM backend runs the same maths on the CPU.
      if (/swiftshader|llvmpipe|software/i.test(renderer)) return `WebGL is a software renderer (${renderer}), slower than WASM`;
      await import('@tensorflow/tfjs-backend-webgl');
      return undefined;
    }
    case 'wasm': {
      if (typeof WebAssembly === 'undefined') return 'WebAssembly is missing';
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Binaries from this site's own build, next to the page: no request leaves the origin.
      wasm.setWasmPaths(wasmBase);
      return undefined;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return undefined;
  }
}

function rendererName(gl: WebGLRenderingContext | WebGL2RenderingContext | OffscreenRenderingContext): string {
  const context = gl as WebGLRenderingContext;
  if (typeof context.getExtension !== 'function') return 'unknown';
  const info = context.getExtension('WEBGL_debug_renderer_info');
  const name: unknown = info ? context.getParameter(info.UNMASKED_RENDERER_WEBGL) : context.getParameter(context.RENDERER);
  return typeof name === 'string' ? name : 'unknown';
}

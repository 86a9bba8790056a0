import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerTestBackends } from '@arcface/testing';
import type { ArcfaceError } from '@arcface/core';
import { describeBackendSelection } from './describe-backend-selection';
import { selectBackend } from './select-backend';
import { disableLeanBackprop, isLeanBackpropEnabled } from '../autodiff/lean-backprop';
import type { ModuleImporter } from './backend-selection';

const realImporter: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

/** What `import('@tensorflow/tfjs-node')` does: registers a 'tensorflow' backend (here one that borrows cpu's kernels). */
async function installFakeTensorflow(options: { brokenFilterGradient?: boolean } = {}): Promise<void> {
  const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
  tf.registerBackend('tensorflow', () => new MathBackendCPU());
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (options.brokenFilterGradient === true && kernel.kernelName === tf.Conv2DBackpropFilter) {
      tf.registerKernel({
        kernelName: kernel.kernelName,
        backendName: 'tensorflow',
        kernelFunc: (args) => {
          // A wrong answer of the right shape, as a miscompiled native library would give.
          const out = kernel.kernelFunc(args) as tf.TensorInfo;
          return tf.engine().runKernel(tf.Neg, { x: tf.engine().makeTensorFromTensorInfo(out) }) as tf.TensorInfo;
        },
      });
      continue;
    }
    tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
  }
}

function removeFakeTensorflow(): void {
  for (const kernel of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(kernel.kernelName, 'tensorflow');
  if (tf.findBackendFactory('tensorflow') != null) tf.removeBackend('tensorflow');
}

describe('selectBackend in Node', () => {
  beforeAll(async () => {
    await registerTestBackends();
  });
  afterEach(async () => {
    removeFakeTensorflow();
    await tf.setBackend('cpu');
  });

  it('picks wasm on this machine and says why tensorflow and webgpu were skipped', async () => {
    const selection = await selectBackend();
    expect(selection.name).toBe('wasm');
    expect(selection.chosen).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const byName = Object.fromEntries(selection.candidates.map((c) => [c.name, c]));
    expect(selection.candidates.map((c) => c.name)).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(byName.tensorflow?.status).toBe('skipped');
    // In this workspace pnpm installs the optional peers without running their install scripts.
    expect(byName.tensorflow?.reason).toMatch(
      /the package @tensorflow\/tfjs-node-gpu (is not installed — `npm i @tensorflow\/tfjs-node-gpu` \(needs CUDA 11\.2 \+ cuDNN 8\.1\)|is installed but its native addon was never built)/,
    );
    expect(byName.tensorflow?.reason).toMatch(/the package @tensorflow\/tfjs-node (is not installed|is installed but)/);
    expect(byName.webgpu?.status).toBe('skipped');
    expect(byName.webgpu?.reason).toMatch(/the package webgpu is not installed|no GPU adapter/);
    expect(byName.wasm?.status).toBe('chosen');
    expect(byName.cpu).toEqual({ name: 'cpu', status: 'skipped', reason: 'not tried: wasm came first and works' });
    // The wasm backend now trains convolutions, and backpropagation frees memory as it goes.
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(isLeanBackpropEnabled()).toBe(true);
  });

  it('leaves tfjs backpropagation alone with leanBackprop: false', async () => {
    disableLeanBackprop();
    await selectBackend({ prefer: 'cpu', leanBackprop: false });
    expect(isLeanBackpropEnabled()).toBe(false);
  });

  it('says which package to install when tfjs-node-gpu and tfjs-node are absent', async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier.startsWith('@tensorflow/tfjs-node')) {
        throw Object.assign(new Error(`Cannot find package '${specifier}' imported from here`), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer, candidates: ['tensorflow', 'wasm'] });
    expect(selection.name).toBe('wasm');
    expect(selection.candidates[0]).toEqual({
      name: 'tensorflow',
      status: 'skipped',
      reason:
        'the package @tensorflow/tfjs-node-gpu is not installed — `npm i @tensorflow/tfjs-node-gpu` (needs CUDA 11.2 + cuDNN 8.1); ' +
        'the package @tensorflow/tfjs-node is not installed — `npm i @tensorflow/tfjs-node` (downloads libtensorflow at install time)',
    });
  });

  it('picks an injected tensorflow module', async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') {
        await installFakeTensorflow();
        return {};
      }
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer });
    expect(selection.name).toBe('tensorflow');
    expect(selection.chosen).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(selection.candidates.map((c) => c.status)).toEqual(['chosen', 'skipped', 'skipped', 'skipped']);
  });

  it('falls back to tfjs-node when tfjs-node-gpu is absent', async () => {
    const seen: string[] = [];
    const importer: ModuleImporter = async (specifier) => {
      seen.push(specifier);
      if (specifier === '@tensorflow/tfjs-node') {
        await installFakeTensorflow();
        return {};
      }
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer, candidates: ['tensorflow', 'cpu'] });
    expect(selection.name).toBe('tensorflow');
    expect(seen.slice(0, 2)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  });

  it('reports a candidate whose probe computes wrong gradients as failed, and moves on', async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') {
        await installFakeTensorflow({ brokenFilterGradient: true });
        return {};
      }
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer, candidates: ['tensorflow', 'cpu'] });
    expect(selection.name).toBe('cpu');
    expect(selection.candidates[0]?.status).toBe('failed');
    expect(selection.candidates[0]?.reason).toMatch(/probe: ∂W centre tap .* is -50, expected 50/);
  });

  it('reports a module that fails to load (not a missing one) as failed', async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file');
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer, candidates: ['tensorflow', 'wasm'] });
    expect(selection.name).toBe('wasm');
    expect(selection.candidates[0]).toEqual({
      name: 'tensorflow',
      status: 'failed',
      reason: '@tensorflow/tfjs-node-gpu failed to load: libcudart.so.11.0: cannot open shared object file',
    });
  });

  it('skips webgpu when Dawn finds no adapter, leaving the globals alone', async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === 'webgpu') return { create: () => ({ requestAdapter: async () => null }), globals: { GPUBufferUsage: {} } };
      return realImporter(specifier);
    };
    const selection = await selectBackend({ importer, candidates: ['webgpu', 'cpu'] });
    expect(selection.candidates[0]).toEqual({
      name: 'webgpu',
      status: 'skipped',
      reason: 'Dawn found no GPU adapter (no Vulkan, Metal or D3D12 device with a usable driver)',
    });
    expect('GPUBufferUsage' in globalThis).toBe(false);
    expect(selection.name).toBe('cpu');
  });

  it('honours prefer, then the default order', async () => {
    const selection = await selectBackend({ prefer: 'cpu' });
    expect(selection.name).toBe('cpu');
    expect(selection.candidates.map((c) => c.name)).toEqual(['cpu', 'tensorflow', 'webgpu', 'wasm']);
  });

  it('throws typed errors for unknown names and when nothing works', async () => {
    await expect(selectBackend({ prefer: 'cuda' as never })).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_BACKEND',
      message: "unknown backend 'cuda'; known: tensorflow, webgpu, webgl, wasm, cpu",
    } satisfies Partial<ArcfaceError>);
    const missing: ModuleImporter = async (specifier) => {
      throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(selectBackend({ importer: missing, candidates: ['wasm', 'cpu'] })).rejects.toMatchObject({
      code: 'ERR_NO_BACKEND',
    });
  });

  it('describes a selection in a few lines', async () => {
    const text = describeBackendSelection({
      name: 'wasm',
      chosen: 'wasm',
      environment: 'node',
      candidates: [
        { name: 'tensorflow', status: 'skipped', reason: 'the package @tensorflow/tfjs-node-gpu is not installed' },
        { name: 'webgpu', status: 'failed', reason: 'boom' },
        { name: 'wasm', status: 'chosen', reason: 'ok' },
      ],
    });
    expect(text).toBe(
      [
        "backend: wasm (tfjs 'wasm')",
        '  · tensorflow  skipped  the package @tensorflow/tfjs-node-gpu is not installed',
        '  ✗ webgpu      failed   boom',
        '  ✓ wasm        chosen   ok',
      ].join('\n'),
    );
  });
});

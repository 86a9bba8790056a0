/**
 * selectBackend's release(): tfjs and the process as they were before, after a selection and
 * training on it; a candidate that fails takes back what it did before the next is tried.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTestBackends } from '@arcface/testing';
import { selectBackend } from './select-backend';
import { probeBackend } from './probe-backend';
import type { ModuleImporter } from './backend-selection';
import { nativeKernelWorkers } from '../wasm/native/native-kernels';
import { tfjsState, type TfjsState } from '../restore/test-fixtures/tfjs-state';

const realImporter: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

/**
 * A few SGD steps of a small network through the kernels this package replaces: conv2d,
 * PReLU, batch statistics (Mean), a matrix product, a cross-entropy. Returns the losses.
 */
async function trainingSteps(steps = 3): Promise<number[]> {
  const w1 = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, 'float32', 1));
  const alpha = tf.variable(tf.fill([8], 0.25));
  const w2 = tf.variable(tf.randomNormal([8, 4], 0, 0.3, 'float32', 2));
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
  const optimizer = tf.train.sgd(0.1);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => {
      const h = tf.prelu(tf.conv2d(x, w1 as unknown as tf.Tensor4D, 1, 'same') as tf.Tensor, alpha as tf.Tensor);
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const normalised = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)));
      const logits = tf.matMul(tf.mean(normalised, [1, 2]) as tf.Tensor2D, w2 as unknown as tf.Tensor2D);
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, true) as tf.Scalar;
    losses.push((await loss.data())[0] as number);
    loss.dispose();
  }
  tf.dispose([w1, alpha, w2, x, labels]);
  optimizer.dispose();
  return losses;
}

/** The part of a state that concerns one backend's kernels. */
function kernelsOf(state: TfjsState, backend: string): TfjsState['kernels'] {
  return Object.fromEntries(Object.entries(state.kernels).filter(([key]) => key.startsWith(`${backend}_`)));
}

/**
 * Dawn as the `webgpu` package gives it, with an adapter, whose globals must go again: and a
 * tfjs-backend-webgpu that fails to load after them, so that the candidate fails half-way.
 */
const brokenWebgpuImporter: ModuleImporter = async (specifier) => {
  if (specifier === 'webgpu') {
    return {
      create: () => ({ requestAdapter: async () => ({}) }),
      globals: { GPUBufferUsage: { MAP_READ: 1 }, GPUShaderStage: { COMPUTE: 4 }, GPUDevice: class GPUDevice {} },
    };
  }
  if (specifier === '@tensorflow/tfjs-backend-webgpu') throw new Error('tfjs-backend-webgpu broken on purpose');
  return realImporter(specifier);
};

describe('selectBackend().release()', () => {
  beforeAll(async () => {
    await registerTestBackends();
    // Flags that plain training evaluates (and caches) are evaluated before the first snapshot.
    await tf.setBackend('cpu');
    await trainingSteps(1);
  });

  it('takes back a failing candidate before the next is tried, and the rest on release', async () => {
    const before = tfjsState();
    expect(before.globals).not.toHaveProperty('navigator');
    const selection = await selectBackend({
      candidates: ['webgpu', 'wasm', 'cpu'],
      importer: brokenWebgpuImporter,
      // wasm starts (threads, kernels, native pools) and then fails its probe on purpose.
      probe: async (backend) => {
        if (backend === 'wasm') {
          await trainingSteps(1);
          throw new Error('probe failed on purpose');
        }
        await probeBackend();
      },
    });
    expect(selection.candidates.map((c) => [c.name, c.status])).toEqual([
      ['webgpu', 'failed'],
      ['wasm', 'failed'],
      ['cpu', 'chosen'],
    ]);
    expect(selection.candidates[0]?.reason).toMatch(/broken on purpose/);
    const afterSelection = tfjsState();
    // Nothing of webgpu's globals (navigator, GPU*) nor of the wasm candidate is left.
    expect(afterSelection.globals).toEqual(before.globals);
    expect(afterSelection.builtins).toEqual(before.builtins);
    expect(kernelsOf(afterSelection, 'wasm')).toEqual(kernelsOf(before, 'wasm'));
    // The flags the failed wasm and webgpu candidates set or evaluated are gone too.
    const backendFlags = (flags: Record<string, unknown>) => Object.fromEntries(Object.entries(flags).filter(([name]) => /^(WASM|WEBGPU)_/.test(name)));
    expect(backendFlags(afterSelection.flags)).toEqual(backendFlags(before.flags));
    expect(nativeKernelWorkers()).toBe(0);
    expect(tf.getBackend()).toBe('cpu');

    const losses = await trainingSteps(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    await selection.release();
    expect(tfjsState()).toEqual(before);
  });

  it('after selecting wasm (threads, training kernels, lean backprop) and training on it, release() leaves tfjs and the globals as they were', async () => {
    await tf.setBackend('cpu');
    const reference = await trainingSteps(3);
    const before = tfjsState();
    const selection = await selectBackend({ candidates: ['wasm'] });
    expect(selection.chosen).toBe('wasm');
    if (availableParallelism() >= 2) expect(selection.candidates[0]?.reason).toMatch(/2 XNNPACK threads/);
    const during = tfjsState();
    // It did change tfjs: the check below is not vacuous.
    expect(kernelsOf(during, 'wasm')).not.toEqual(kernelsOf(before, 'wasm'));
    expect(during.gradients).not.toEqual(before.gradients);
    expect(during.engineOwn).not.toEqual(before.engineOwn);

    const losses = await trainingSteps(3);
    for (let i = 0; i < losses.length; i++) expect(Math.abs((losses[i] as number) - (reference[i] as number))).toBeLessThan(1e-4 * Math.abs(reference[i] as number));
    if (availableParallelism() >= 2) expect(nativeKernelWorkers()).toBeGreaterThan(0);
    await selection.release();
    expect(tfjsState()).toEqual(before);
    expect(tf.getBackend()).toBe('cpu');
    expect(nativeKernelWorkers()).toBe(0);
    // Idempotent.
    await selection.release();
    expect(tfjsState()).toEqual(before);
  });

  it('a wasm backend removed and made again leaves no native worker threads behind', async () => {
    const selection = await selectBackend({ candidates: ['wasm'] });
    await trainingSteps(1);
    const workers = nativeKernelWorkers();
    if (availableParallelism() >= 2) expect(workers).toBeGreaterThan(0);
    const engine = tf.engine() as unknown as { registryFactory: Record<string, { factory: () => tf.KernelBackend; priority: number }> };
    const { factory, priority } = engine.registryFactory.wasm as { factory: () => tf.KernelBackend; priority: number };
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, priority);
    // The heap's threads ended with the backend (its kernels' disposeFunc).
    expect(nativeKernelWorkers()).toBe(0);
    await selection.release();
    const again = await selectBackend({ candidates: ['wasm'] });
    await trainingSteps(1);
    expect(nativeKernelWorkers()).toBe(workers);
    await again.release();
    expect(nativeKernelWorkers()).toBe(0);
  });
});

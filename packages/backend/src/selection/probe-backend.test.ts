import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerTestBackends } from '@arcface/testing';
import { probeBackend } from './probe-backend';

type Rewire = (name: string, kernel: tf.KernelConfig) => tf.KernelFunc | undefined;

const NAME = 'probe-miscompiled';

/** A filter edit done with cpu's own kernels on the kernel's TensorInfos (no tfjs ops inside a kernel). */
type Edit = (x: tf.TensorInfo, backend: tf.KernelBackend) => tf.TensorInfo;
const cpuKernel = (name: string, x: tf.TensorInfo, attrs: tf.NamedAttrMap, backend: tf.KernelBackend): tf.TensorInfo =>
  tf.getKernel(name, 'cpu')!.kernelFunc({ inputs: { x }, attrs, backend }) as tf.TensorInfo;
const flip: Edit = (x, backend) => cpuKernel(tf.Reverse, x, { dims: [0, 1] }, backend);
const transpose: Edit = (x, backend) => cpuKernel(tf.Transpose, x, { perm: [1, 0, 2, 3] }, backend);

/** The kernel `inner` run on an edited filter input (`which`), or with its output edited. */
function edited(args: Parameters<tf.KernelFunc>[0], inner: tf.KernelConfig, edit: Edit, which: 'filter' | 'output'): tf.TensorInfo {
  const { inputs } = args;
  const backend = args.backend as tf.KernelBackend;
  if (which === 'output') {
    const out = inner.kernelFunc(args) as tf.TensorInfo;
    const result = edit(out, backend);
    backend.disposeData(out.dataId);
    return result;
  }
  const changed = edit(inputs.filter as tf.TensorInfo, backend);
  const result = inner.kernelFunc({ ...args, inputs: { ...inputs, filter: changed } }) as tf.TensorInfo;
  backend.disposeData(changed.dataId);
  return result;
}

/** A backend that borrows cpu's kernels, some of them rewired as a miscompiled native library might be. */
async function useMiscompiledBackend(rewire: Rewire): Promise<void> {
  const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
  tf.registerBackend(NAME, () => new MathBackendCPU());
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    const kernelFunc = rewire(kernel.kernelName, kernel) ?? kernel.kernelFunc;
    tf.registerKernel({ ...kernel, kernelFunc, backendName: NAME });
  }
  await tf.setBackend(NAME);
}

function removeMiscompiledBackend(): void {
  for (const kernel of tf.getKernelsForBackend(NAME)) tf.unregisterKernel(kernel.kernelName, NAME);
  if (tf.findBackendFactory(NAME) != null) tf.removeBackend(NAME);
}

describe('probeBackend', () => {
  beforeAll(registerTestBackends);
  afterEach(async () => {
    await tf.setBackend('cpu');
    removeMiscompiledBackend();
  });

  it('passes the correct cpu kernels, and through a backend that merely borrows them', async () => {
    await tf.setBackend('cpu');
    await expect(probeBackend()).resolves.toBeUndefined();
    await useMiscompiledBackend(() => undefined);
    await expect(probeBackend()).resolves.toBeUndefined();
  });

  const cases: Array<[string, Rewire, RegExp]> = [
    [
      'a forward conv2d with the filter flipped (a true convolution)',
      (name, k) => (name === tf.Conv2D ? (args) => edited(args, k, flip, 'filter') : undefined),
      /probe: conv2d of a 3×3 filter of distinct values at flat index \d+ is/,
    ],
    [
      'a forward conv2d with the filter transposed (kh and kw swapped)',
      (name, k) => (name === tf.Conv2D ? (args) => edited(args, k, transpose, 'filter') : undefined),
      /probe: conv2d of a 3×3 filter of distinct values at flat index \d+ is/,
    ],
    [
      '∂x computed with the filter flipped (the rotation applied twice, or not at all)',
      (name, k) => (name === tf.Conv2DBackpropInput ? (args) => edited(args, k, flip, 'filter') : undefined),
      /probe: ∂x of that conv2d at flat index \d+ is/,
    ],
    [
      '∂x computed with the filter transposed',
      (name, k) => (name === tf.Conv2DBackpropInput ? (args) => edited(args, k, transpose, 'filter') : undefined),
      /probe: ∂x of that conv2d at flat index \d+ is/,
    ],
    [
      '∂W returned flipped',
      (name, k) => (name === tf.Conv2DBackpropFilter ? (args) => edited(args, k, flip, 'output') : undefined),
      /probe: ∂W of that conv2d at flat index \d+ is/,
    ],
    [
      '∂W returned transposed',
      (name, k) => (name === tf.Conv2DBackpropFilter ? (args) => edited(args, k, transpose, 'output') : undefined),
      /probe: ∂W of that conv2d at flat index \d+ is/,
    ],
  ];

  for (const [what, rewire, message] of cases) {
    it(`rejects ${what}`, async () => {
      await useMiscompiledBackend(rewire);
      // Each of these still passes the constant-data sums (x = 1, constant filter): only the
      // orientation check can see them.
      await expect(probeBackend()).rejects.toThrow(message);
    });
  }
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

type Geometry = { n: number; h: number; w: number; cin: number; cout: number; stride: number; pad: 'same' | 'valid' };

/** Both gradients of a 1×1 convolution through the kernels, as flat arrays. */
async function pointwiseGradients(backend: string, g: Geometry, seed: number): Promise<[Float32Array, Float32Array]> {
  await useBackend(backend);
  const info = tf.backend_util.computeConv2DInfo([g.n, g.h, g.w, g.cin], [1, 1, g.cin, g.cout], g.stride, 1, g.pad);
  const x = tf.randomUniform([g.n, g.h, g.w, g.cin], -1, 1, 'float32', seed);
  const filter = tf.randomUniform([1, 1, g.cin, g.cout], -1, 1, 'float32', seed + 1);
  const dy = tf.randomUniform([g.n, info.outHeight, info.outWidth, g.cout], -1, 1, 'float32', seed + 2);
  const attrs = { strides: g.stride, pad: g.pad, dataFormat: 'NHWC' };
  const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const values: [Float32Array, Float32Array] = [(await dw.data()) as Float32Array, (await dx.data()) as Float32Array];
  tf.dispose([x, filter, dy, dw, dx]);
  return values;
}

function expectClose(actual: Float32Array, reference: Float32Array): void {
  expect(actual.length).toBe(reference.length);
  const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const worst = actual.reduce((m, v, k) => Math.max(m, Math.abs(v - (reference[k] as number))), 0);
  expect(worst).toBeLessThanOrEqual(1e-5 * scale);
}

describe('wasm 1×1 convolution gradients as matrix products', () => {
  useWasmTrainingKernels();

  // Strides that divide the side, that leave the last rows unread (7 at stride 2 and 3), and
  // 'same' (no padding for a 1×1 filter).
  const cases: Geometry[] = [
    { n: 2, h: 6, w: 6, cin: 5, cout: 7, stride: 1, pad: 'valid' },
    { n: 3, h: 8, w: 6, cin: 4, cout: 3, stride: 2, pad: 'valid' },
    { n: 2, h: 7, w: 7, cin: 6, cout: 5, stride: 2, pad: 'same' },
    { n: 1, h: 7, w: 8, cin: 3, cout: 9, stride: 3, pad: 'valid' },
  ];
  for (const g of cases) {
    it(`[${g.n}, ${g.h}, ${g.w}, ${g.cin}] → ${g.cout}, stride ${g.stride}, '${g.pad}': ∂W and ∂x equal the cpu backend's`, async () => {
      const [dwRef, dxRef] = await pointwiseGradients('cpu', g, 21);
      const [dw, dx] = await expectNoLeak(() => pointwiseGradients('wasm', g, 21));
      expectClose(dw, dwRef);
      expectClose(dx, dxRef);
    });
  }
});

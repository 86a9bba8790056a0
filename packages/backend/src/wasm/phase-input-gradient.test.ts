import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

type Case = { n: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number; stride: [number, number]; pad: 'same' | 'valid' | 'explicit'; seed: number };

function padOf(c: Case): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  return c.pad === 'explicit' ? [[0, 0], [2, 0], [1, 3], [0, 0]] : c.pad;
}

/** Conv2DBackpropInput on `backend` for the case, as a flat array. */
async function inputGradient(backend: string, c: Case): Promise<Float32Array> {
  await useBackend(backend);
  const info = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.kh, c.kw, c.cin, c.cout], c.stride, 1, padOf(c) as 'same');
  const dy = tf.randomUniform([c.n, info.outHeight, info.outWidth, c.cout], -1, 1, 'float32', c.seed);
  const filter = tf.randomUniform([c.kh, c.kw, c.cin, c.cout], -1, 1, 'float32', c.seed + 1);
  const dx = tf.engine().runKernel(
    tf.Conv2DBackpropInput,
    { dy, filter },
    { strides: c.stride, pad: padOf(c), dataFormat: 'NHWC', inputShape: [c.n, c.h, c.w, c.cin] } as unknown as tf.NamedAttrMap,
  ) as tf.Tensor;
  const values = (await dx.data()) as Float32Array;
  tf.dispose([dy, filter, dx]);
  return values;
}

const strided = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 2, max: 13 }),
    w: fc.integer({ min: 2, max: 13 }),
    cin: fc.integer({ min: 1, max: 4 }),
    cout: fc.integer({ min: 1, max: 4 }),
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    pad: fc.constantFrom('same' as const, 'valid' as const, 'explicit' as const),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  // At least one stride above 1 (the phase path), a window that fits, not a 1×1 (the product path).
  .filter((c) => (c.stride[0] > 1 || c.stride[1] > 1) && (c.pad !== 'valid' || (c.kh <= c.h && c.kw <= c.w)) && c.kh * c.kw > 1)
  .filter((c) => c.pad !== 'explicit' || (c.kh <= c.h + 2 && c.kw <= c.w + 4));

describe('wasm strided Conv2DBackpropInput phase by phase', () => {
  useWasmTrainingKernels();

  it('equals the cpu backend over random shapes, strides (also unequal and above the filter), paddings', async () => {
    await fc.assert(
      fc.asyncProperty(strided, async (c) => {
        const reference = await inputGradient('cpu', c);
        const actual = await expectNoLeak(() => inputGradient('wasm', c));
        expect(actual.length).toBe(reference.length);
        const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
        const worst = actual.reduce((m, v, k) => Math.max(m, Math.abs(v - (reference[k] as number))), 0);
        expect(worst, JSON.stringify(c)).toBeLessThanOrEqual(1e-5 * scale);
      }),
      { numRuns: 80, seed: 41 },
    );
  });

  it("iResNet's stride-2 3×3 layer at 28×28 (even side, PyTorch padding through a ZeroPadding2D)", async () => {
    const c: Case = { n: 2, h: 30, w: 30, cin: 8, cout: 16, kh: 3, kw: 3, stride: [2, 2], pad: 'valid', seed: 9 };
    const reference = await inputGradient('cpu', c);
    const actual = await inputGradient('wasm', c);
    const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(actual.reduce((m, v, k) => Math.max(m, Math.abs(v - (reference[k] as number))), 0)).toBeLessThanOrEqual(1e-5 * scale);
  });
});

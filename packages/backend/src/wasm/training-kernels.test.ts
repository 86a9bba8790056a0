import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeMismatchError } from '@arcface/core';
import { expectNoLeak, registerTestBackends, seededValues, useBackend } from '@arcface/testing';
import { batchChunks } from './batch-chunks';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from './register-wasm-training-kernels';
import { useNativeKernels } from './test-fixtures/wasm-training-kernels';

/**
 * Each case runs one kernel through `tf.engine().runKernel` on the cpu backend (tfjs' own
 * reference loops) and on wasm (the kernels of this package), and compares: 1e-4 of the
 * largest reference magnitude, element by element.
 */
type Case = { kernel: string; inputs: Record<string, { shape: number[]; values: Float32Array }>; attrs: Record<string, unknown> };

function runOn(backend: string, c: Case): Promise<Float32Array> {
  return (async () => {
    await useBackend(backend);
    const inputs: tf.NamedTensorMap = {};
    for (const [name, spec] of Object.entries(c.inputs)) inputs[name] = tf.tensor(spec.values, spec.shape);
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    out.dispose();
    for (const t of Object.values(inputs)) t.dispose();
    return values;
  })();
}

async function expectSameOnBothBackends(c: Case): Promise<void> {
  const reference = await runOn('cpu', c);
  const actual = await runOn('wasm', c);
  expect(actual.length).toBe(reference.length);
  let scale = 0;
  for (const v of reference) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let k = 0; k < reference.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - reference[k]!));
  expect(worst, `${c.kernel} ${JSON.stringify(c.attrs)}`).toBeLessThanOrEqual(1e-4 * Math.max(scale, 1e-6));
}


const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

type Geometry = {
  n: number; h: number; w: number; c: number; k: number; kh: number; kw: number;
  stride: number; dilation: number; pad: 'same' | 'valid' | 'explicit'; multiplier: number; seed: number;
};

const geometry = fc
  .record({
    n: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 11 }),
    w: fc.integer({ min: 3, max: 11 }),
    c: fc.integer({ min: 1, max: 5 }),
    k: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    pad: fc.constantFrom('same' as const, 'valid' as const, 'explicit' as const),
    multiplier: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  // tfjs allows a stride or a dilation above 1, not both; the window must fit the input.
  .filter((g) => (g.stride === 1 || g.dilation === 1) && (g.kh - 1) * g.dilation < g.h && (g.kw - 1) * g.dilation < g.w);

function padAttr(g: Geometry): unknown {
  return g.pad === 'explicit' ? [[0, 0], [1, 0], [0, 2], [0, 0]] : g.pad;
}

function outSize(g: Geometry): [number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    [g.n, g.h, g.w, g.c], [g.kh, g.kw, g.c, g.k], g.stride, g.dilation,
    padAttr(g) as 'same', undefined, false,
  );
  return [info.outHeight, info.outWidth];
}

describe('wasm training kernels against cpu', () => {
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    kernels = registerWasmTrainingKernels();
  });
  afterAll(() => kernels.unregister());

  it('registers the missing gradient kernels and the faster replacements', () => {
    expect(kernels.kernels).toEqual(
      expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul']),
    );
    expect(registerWasmTrainingKernels()).toBe(kernels);
  });

  it('Conv2DBackpropFilter over random shapes, strides, paddings', conv2dFilterGradientProperty);

  it('Conv2DBackpropInput over random shapes, strides, paddings', async () => {
    await fc.assert(
      fc.asyncProperty(geometry.filter((g) => g.dilation === 1), async (g) => {
        const [oh, ow] = outSize(g);
        const filterShape = [g.kh, g.kw, g.c, g.k];
        await expectSameOnBothBackends({
          kernel: 'Conv2DBackpropInput',
          inputs: {
            dy: { shape: [g.n, oh, ow, g.k], values: seededValues(g.seed, g.n * oh * ow * g.k) },
            filter: { shape: filterShape, values: seededValues(g.seed + 2, size(filterShape)) },
          },
          attrs: { strides: [g.stride, g.stride], pad: padAttr(g), dataFormat: 'NHWC', inputShape: [g.n, g.h, g.w, g.c] },
        });
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('DepthwiseConv2dNativeBackpropInput over shapes, strides, multipliers', async () => {
    await fc.assert(
      fc.asyncProperty(geometry.filter((g) => g.dilation === 1), async (g) => {
        const [oh, ow] = outSize(g);
        const filterShape = [g.kh, g.kw, g.c, g.multiplier];
        await expectSameOnBothBackends({
          kernel: 'DepthwiseConv2dNativeBackpropInput',
          inputs: {
            dy: { shape: [g.n, oh, ow, g.c * g.multiplier], values: seededValues(g.seed, g.n * oh * ow * g.c * g.multiplier) },
            filter: { shape: filterShape, values: seededValues(g.seed + 3, size(filterShape)) },
          },
          attrs: { strides: [g.stride, g.stride], dilations: [g.dilation, g.dilation], pad: padAttr(g), inputShape: [g.n, g.h, g.w, g.c] },
        });
      }),
      { numRuns: 25, seed: 8 },
    );
  });

  it('DepthwiseConv2dNativeBackpropFilter over shapes, strides, multipliers', async () => {
    await fc.assert(
      fc.asyncProperty(geometry.filter((g) => g.dilation === 1), async (g) => {
        const [oh, ow] = outSize(g);
        await expectSameOnBothBackends({
          kernel: 'DepthwiseConv2dNativeBackpropFilter',
          inputs: {
            x: { shape: [g.n, g.h, g.w, g.c], values: seededValues(g.seed, g.n * g.h * g.w * g.c) },
            dy: { shape: [g.n, oh, ow, g.c * g.multiplier], values: seededValues(g.seed + 4, g.n * oh * ow * g.c * g.multiplier) },
          },
          attrs: { strides: [g.stride, g.stride], dilations: [g.dilation, g.dilation], pad: padAttr(g), filterShape: [g.kh, g.kw, g.c, g.multiplier] },
        });
      }),
      { numRuns: 25, seed: 9 },
    );
  });

  // tfjs' cpu kernels ignore dilations in the depthwise gradients (tfjs refuses dilated
  // depthwise gradients altogether), so dilated cases are checked against the forward
  // convolution instead: both backprops are adjoints of it,
  // ⟨conv(x, W), dy⟩ = ⟨x, ∂x(dy, W)⟩ = ⟨W, ∂W(x, dy)⟩.
  it('depthwise gradients with dilations are the adjoints of the forward convolution', async () => {
    await useBackend('wasm');
    await fc.assert(
      fc.asyncProperty(geometry.filter((g) => g.dilation > 1 && g.stride === 1), async (g) => {
        const [oh, ow] = outSize(g);
        const x = tf.tensor4d(seededValues(g.seed, g.n * g.h * g.w * g.c), [g.n, g.h, g.w, g.c]);
        const filter = tf.tensor4d(seededValues(g.seed + 1, g.kh * g.kw * g.c * g.multiplier), [g.kh, g.kw, g.c, g.multiplier]);
        const dy = tf.tensor4d(seededValues(g.seed + 2, g.n * oh * ow * g.c * g.multiplier), [g.n, oh, ow, g.c * g.multiplier]);
        const pad = padAttr(g);
        const y = tf.depthwiseConv2d(x, filter, 1, pad as 'same', 'NHWC', g.dilation);
        const attrs = { strides: 1, dilations: g.dilation, pad: pad as tf.NamedAttrMap[string] };
        const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
        const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape }) as tf.Tensor;
        const dot = async (a: tf.Tensor, b: tf.Tensor): Promise<[number, number]> => {
          const [va, vb] = [await a.data(), await b.data()];
          let sum = 0;
          let magnitude = 0;
          for (let k = 0; k < va.length; k++) {
            sum += va[k]! * vb[k]!;
            magnitude += Math.abs(va[k]! * vb[k]!);
          }
          return [sum, magnitude];
        };
        const [forward, scale] = await dot(y, dy);
        const [viaInput] = await dot(x, dx);
        const [viaFilter] = await dot(filter, dw);
        tf.dispose([x, filter, dy, y, dx, dw]);
        expect(Math.abs(viaInput - forward)).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
        expect(Math.abs(viaFilter - forward)).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
      }),
      { numRuns: 20, seed: 11 },
    );
  });

  it('BatchMatMul with transposed operands, batched and broadcast', batchMatMulProperty);

  // The filter gradients run as one convolution of x with dy (stride and dilation swapped, the
  // forward padding made the convolution's own). These geometries reach each of its branches:
  // an output larger than the filter cropped ('valid' leaving input rows unread), a dy kernel
  // XNNPACK has a direct micro-kernel for (9 and 25 taps) or not, one image (no batch fold),
  // a channel multiplier, MobileFaceNet's 7×7 global depthwise layer.
  const filterGradientCases: Array<{ name: string; x: number[]; filter: number[]; stride: number; pad: unknown }> = [
    { name: 'stride 2, same, even size', x: [2, 8, 8, 6], filter: [3, 3, 6, 1], stride: 2, pad: 'same' },
    { name: 'stride 2, pad 1, odd sizes', x: [3, 9, 7, 5], filter: [3, 3, 5, 1], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
    { name: 'stride 3, valid, rows left unread', x: [2, 10, 11, 3], filter: [3, 3, 3, 1], stride: 3, pad: 'valid' },
    { name: 'stride 2, valid, 1×1 filter', x: [2, 7, 6, 4], filter: [1, 1, 4, 1], stride: 2, pad: 'valid' },
    { name: 'multiplier 2, stride 2', x: [2, 7, 9, 3], filter: [3, 3, 3, 2], stride: 2, pad: 'same' },
    { name: 'multiplier 3, stride 1', x: [2, 6, 5, 2], filter: [3, 3, 2, 3], stride: 1, pad: 'same' },
    { name: '7×7 valid (global depthwise)', x: [3, 7, 7, 8], filter: [7, 7, 8, 1], stride: 1, pad: 'valid' },
    { name: 'a 5×5 dy kernel (25 taps)', x: [2, 7, 7, 3], filter: [3, 3, 3, 1], stride: 1, pad: 'valid' },
    { name: 'a 3×3 dy kernel (9 taps)', x: [2, 5, 5, 3], filter: [3, 3, 3, 1], stride: 1, pad: 'valid' },
    { name: 'batch 1', x: [1, 10, 6, 4], filter: [3, 3, 4, 1], stride: 1, pad: 'same' },
    { name: 'batch 1, stride 2, odd', x: [1, 11, 9, 2], filter: [3, 3, 2, 1], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  ];

  for (const g of filterGradientCases) {
    it(`DepthwiseConv2dNativeBackpropFilter: ${g.name}`, async () => {
      const info = tf.backend_util.computeConv2DInfo(g.x as [number, number, number, number], g.filter as [number, number, number, number], g.stride, 1, g.pad as 'same', undefined, true);
      await expectSameOnBothBackends({
        kernel: 'DepthwiseConv2dNativeBackpropFilter',
        inputs: {
          x: { shape: g.x, values: seededValues(21, size(g.x)) },
          dy: { shape: info.outShape, values: seededValues(22, size(info.outShape)) },
        },
        attrs: { strides: [g.stride, g.stride], dilations: [1, 1], pad: g.pad, filterShape: g.filter },
      });
    });

    it(`Conv2DBackpropFilter: ${g.name}`, async () => {
      const filter = [g.filter[0]!, g.filter[1]!, g.filter[2]!, 2 + g.filter[3]!];
      const info = tf.backend_util.computeConv2DInfo(g.x as [number, number, number, number], filter as [number, number, number, number], g.stride, 1, g.pad as 'same');
      await expectSameOnBothBackends({
        kernel: 'Conv2DBackpropFilter',
        inputs: {
          x: { shape: g.x, values: seededValues(23, size(g.x)) },
          dy: { shape: info.outShape, values: seededValues(24, size(info.outShape)) },
        },
        attrs: { strides: [g.stride, g.stride], pad: g.pad, dataFormat: 'NHWC', filterShape: filter },
      });
    });
  }

  it('Conv2DBackpropFilter at the stem of a face network: 3 input channels, stride 2', async () => {
    await expectSameOnBothBackends({
      kernel: 'Conv2DBackpropFilter',
      inputs: {
        x: { shape: [2, 16, 16, 3], values: seededValues(25, 2 * 16 * 16 * 3) },
        dy: { shape: [2, 8, 8, 16], values: seededValues(26, 2 * 8 * 8 * 16) },
      },
      attrs: { strides: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], dataFormat: 'NHWC', filterShape: [3, 3, 3, 16] },
    });
  });

  it('DepthwiseConv2dNativeBackpropFilter over a batch cut into chunks', async () => {
    // 5 × 48 × 48 × 64: XNNPACK packs dy 8 times over (4.7 MB an image), so the kernel keeps
    // that copy cache-sized by summing chunks of 3 and 2 images.
    const x = [5, 48, 48, 64];
    const image = 48 * 48 * 64;
    expect(batchChunks(5, { temporaries: 4 * 10 * image, inputs: 4 * 2 * image, cached: 4 * 8 * image }, { largestInputBytes: 4 * 5 * image, cacheBytes: 16 * 2 ** 20 }).map((c) => c.size)).toEqual([3, 2]);
    await expectSameOnBothBackends({
      kernel: 'DepthwiseConv2dNativeBackpropFilter',
      inputs: {
        x: { shape: x, values: seededValues(27, size(x)) },
        dy: { shape: x, values: seededValues(28, size(x)) },
      },
      attrs: { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 64, 1] },
    });
  });

  it('Conv2DBackpropFilter over a batch cut into chunks', async () => {
    // dy of 32 × 32 × 64 is 256 KiB an image: 17 images pass the 4 MiB the kernel keeps its
    // packed dy to (16 images at least a chunk), so it sums chunks of 9 and 8.
    const x = [17, 32, 32, 1];
    const dy = [17, 32, 32, 64];
    const xImage = 32 * 32;
    const dyImage = 32 * 32 * 64;
    expect(
      batchChunks(17, { temporaries: 4 * (xImage + 2 * dyImage), inputs: 4 * (xImage + dyImage), cached: 4 * dyImage }, { largestInputBytes: 4 * 17 * dyImage, cacheBytes: 4 * 2 ** 20, fewestImages: 16 }).map((c) => c.size),
    ).toEqual([9, 8]);
    await expectSameOnBothBackends({
      kernel: 'Conv2DBackpropFilter',
      inputs: { x: { shape: x, values: seededValues(29, size(x)) }, dy: { shape: dy, values: seededValues(30, size(dy)) } },
      attrs: { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 64] },
    });
  });

  it('filter gradients name the problem when dy does not fit x', async () => {
    await useBackend('wasm');
    const x = tf.zeros([2, 8, 8, 3]);
    const dy = tf.zeros([2, 4, 5, 3]);
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 1] })).toThrow(ShapeMismatchError);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 3] })).toThrow(/dy has shape \[2, 4, 5, 3\].*gives \[2, 4, 4, 3\]/);
    tf.dispose([x, dy]);
  });

  it('leaks no tensor on the multiplier and chunked paths', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([2, 7, 9, 3]);
    const dy = tf.randomNormal([2, 4, 5, 6]);
    await expectNoLeak(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 2] }));
    const big = tf.randomNormal([5, 48, 48, 64]);
    await expectNoLeak(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: big, dy: big }, { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 64, 1] }));
    tf.dispose([x, dy, big]);
  });

  it('explicit padding of each kind on a strided 3×3 filter gradient', async () => {
    const pads: unknown[] = ['same', 'valid', 1, [[0, 0], [2, 1], [0, 1], [0, 0]]];
    for (const pad of pads) {
      const info = tf.backend_util.computeConv2DInfo([2, 9, 8, 3], [3, 3, 3, 4], 2, 1, pad as 'same', undefined);
      await expectSameOnBothBackends({
        kernel: 'Conv2DBackpropFilter',
        inputs: {
          x: { shape: [2, 9, 8, 3], values: seededValues(11, 2 * 9 * 8 * 3) },
          dy: { shape: [2, info.outHeight, info.outWidth, 4], values: seededValues(12, 2 * info.outHeight * info.outWidth * 4) },
        },
        attrs: { strides: 2, pad, dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] },
      });
    }
  });

  it('leaks no tensor', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3]);
    const dy = tf.randomNormal([2, 4, 4, 4]);
    const filter = tf.randomNormal([3, 3, 3, 4]);
    const dw = tf.randomNormal([2, 4, 4, 6]);
    const depthFilter = tf.randomNormal([3, 3, 3, 2]);
    await expectNoLeak(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] }));
    await expectNoLeak(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 8, 8, 3] }));
    await expectNoLeak(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dw }, { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 2] }));
    await expectNoLeak(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dw, filter: depthFilter }, { strides: 2, dilations: 1, pad: 'same', inputShape: [2, 8, 8, 3] }));
    const a = tf.reshape(x, [16, 24]);
    const b = tf.reshape(dw, [8, 24]);
    await expectNoLeak(() => tf.matMul(a, b, false, true));
    await expectNoLeak(() => tf.matMul(a, a, true, false));
    tf.dispose([x, dy, filter, dw, depthFilter, a, b]);
  });
});

async function conv2dFilterGradientProperty(): Promise<void> {
  await fc.assert(
    fc.asyncProperty(geometry.filter((g) => g.dilation === 1), async (g) => {
      const [oh, ow] = outSize(g);
      await expectSameOnBothBackends({
        kernel: 'Conv2DBackpropFilter',
        inputs: {
          x: { shape: [g.n, g.h, g.w, g.c], values: seededValues(g.seed, g.n * g.h * g.w * g.c) },
          dy: { shape: [g.n, oh, ow, g.k], values: seededValues(g.seed + 1, g.n * oh * ow * g.k) },
        },
        attrs: { strides: [g.stride, g.stride], pad: padAttr(g), dataFormat: 'NHWC', filterShape: [g.kh, g.kw, g.c, g.k] },
      });
    }),
    { numRuns: 25, seed: 6 },
  );
}

async function batchMatMulProperty(): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        batch: fc.integer({ min: 1, max: 3 }), m: fc.integer({ min: 1, max: 9 }), k: fc.integer({ min: 1, max: 9 }),
        n: fc.integer({ min: 1, max: 9 }), transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer({ min: 1, max: 2 ** 30 }),
      }),
      async ({ batch, m, k, n, transposeA, transposeB, seed }) => {
        const aShape = transposeA ? [batch, k, m] : [batch, m, k];
        const bShape = transposeB ? [n, k] : [k, n];
        await expectSameOnBothBackends({
          kernel: 'BatchMatMul',
          inputs: { a: { shape: aShape, values: seededValues(seed, size(aShape)) }, b: { shape: [1, ...bShape], values: seededValues(seed + 5, size(bShape)) } },
          attrs: { transposeA, transposeB },
        });
      },
    ),
    { numRuns: 20, seed: 10 },
  );
}

describe('wasm training kernels against cpu, native kernels off (the XNNPACK paths)', () => {
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    kernels = registerWasmTrainingKernels();
  });
  afterAll(() => {
    kernels.unregister();
  });
  useNativeKernels(false);

  it('Conv2DBackpropFilter over random shapes, strides, paddings', conv2dFilterGradientProperty);
  it('BatchMatMul with transposed operands, batched and broadcast', batchMatMulProperty);
});

import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak, registerGradients, registerTestBackends, seededValues, useBackend } from '@arcface/testing';
import { conv2dBackpropFilterChunked } from './conv2d-backprop-filter-chunked';
import { depthwiseBackpropFilterChunked } from './depthwise-backprop-filter-chunked';
import { registerWebgpuTrainingKernels } from './register-webgpu-training-kernels';
import { matMulTiles, rowChunks } from './row-chunks';

/**
 * The WebGPU filter-gradient kernels are built from plain tfjs ops, so their arithmetic is
 * checked here on cpu and wasm against tfjs' cpu reference kernels (element by element, 1e-4
 * of the largest reference magnitude); only their speed needs a GPU (docs/benchmarks.md).
 */

type Geometry = { n: number; h: number; w: number; c: number; k: number; kh: number; kw: number; stride: number; pad: unknown; q: number; seed: number };

const geometry = fc
  .record({
    n: fc.integer({ min: 1, max: 4 }),
    h: fc.integer({ min: 3, max: 20 }),
    w: fc.integer({ min: 3, max: 20 }),
    c: fc.integer({ min: 1, max: 5 }),
    k: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.constantFrom<unknown>('same', 'valid', 1, [[0, 0], [1, 0], [0, 2], [0, 0]]),
    q: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .filter((g) => g.kh <= g.h && g.kw <= g.w);

function outSize(g: Geometry, depthwise: boolean): [number, number] {
  const filter = depthwise ? [g.kh, g.kw, g.c, g.q] : [g.kh, g.kw, g.c, g.k];
  const info = tf.backend_util.computeConv2DInfo([g.n, g.h, g.w, g.c], filter as [number, number, number, number], g.stride, 1, g.pad as 'same', undefined, depthwise);
  return [info.outHeight, info.outWidth];
}

/** Runs `kernel` on cpu's stock kernel and `ours` on the active backend; compares. */
async function expectLikeCpu(
  backend: string,
  kernel: string,
  ours: (args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap }) => tf.TensorInfo,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: Record<string, unknown>,
): Promise<void> {
  const run = async (name: string, f: (t: tf.NamedTensorMap) => tf.Tensor): Promise<Float32Array> => {
    await useBackend(name);
    const tensors: tf.NamedTensorMap = {};
    for (const [key, spec] of Object.entries(inputs)) tensors[key] = tf.tensor(spec.values, spec.shape);
    const out = f(tensors);
    const values = (await out.data()) as Float32Array;
    tf.dispose([out, ...Object.values(tensors)]);
    return values;
  };
  const reference = await run('cpu', (t) => tf.engine().runKernel(kernel, t, attrs as tf.NamedAttrMap) as tf.Tensor);
  const actual = await run(backend, (t) => ours({ inputs: t, attrs: attrs as tf.NamedAttrMap }) as tf.Tensor);
  expect(actual.length).toBe(reference.length);
  let scale = 0;
  let worst = 0;
  for (let k = 0; k < reference.length; k++) {
    scale = Math.max(scale, Math.abs(reference[k]!));
    worst = Math.max(worst, Math.abs(actual[k]! - reference[k]!));
  }
  expect(worst, `${kernel} ${JSON.stringify(attrs)}`).toBeLessThanOrEqual(1e-4 * Math.max(scale, 1e-6));
}

function conv2dCase(g: Geometry) {
  const [oh, ow] = outSize(g, false);
  return {
    inputs: {
      x: { shape: [g.n, g.h, g.w, g.c], values: seededValues(g.seed, g.n * g.h * g.w * g.c) },
      dy: { shape: [g.n, oh, ow, g.k], values: seededValues(g.seed + 1, g.n * oh * ow * g.k) },
    },
    attrs: { strides: [g.stride, g.stride], pad: g.pad, dataFormat: 'NHWC', filterShape: [g.kh, g.kw, g.c, g.k] },
  };
}

function depthwiseCase(g: Geometry) {
  const [oh, ow] = outSize(g, true);
  return {
    inputs: {
      x: { shape: [g.n, g.h, g.w, g.c], values: seededValues(g.seed, g.n * g.h * g.w * g.c) },
      dy: { shape: [g.n, oh, ow, g.c * g.q], values: seededValues(g.seed + 4, g.n * oh * ow * g.c * g.q) },
    },
    attrs: { strides: [g.stride, g.stride], dilations: [1, 1], pad: g.pad, filterShape: [g.kh, g.kw, g.c, g.q] },
  };
}

// Shapes with M = N·outHeight·outWidth ≥ 512, where the rows are cut into chunks.
const chunked: Geometry[] = [
  { n: 4, h: 16, w: 16, c: 3, k: 5, kh: 3, kw: 3, stride: 1, pad: 'same', q: 1, seed: 21 },
  { n: 6, h: 24, w: 20, c: 4, k: 3, kh: 3, kw: 3, stride: 2, pad: 'same', q: 2, seed: 22 },
  { n: 3, h: 20, w: 20, c: 2, k: 4, kh: 1, kw: 1, stride: 1, pad: 'valid', q: 1, seed: 23 },
  { n: 2, h: 30, w: 25, c: 3, k: 2, kh: 3, kw: 2, stride: 1, pad: [[0, 0], [2, 1], [0, 1], [0, 0]], q: 3, seed: 24 },
];

describe('rowChunks', () => {
  it('returns a divisor of the rows, each chunk long enough, no more chunks than needed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 1, max: 600 }), (rows, tiles) => {
        const s = rowChunks(rows, tiles);
        expect(Number.isInteger(s) && s >= 1).toBe(true);
        expect(rows % s).toBe(0);
        if (s > 1) {
          expect(rows / s).toBeGreaterThanOrEqual(256);
          expect(s).toBeLessThanOrEqual(Math.ceil(512 / tiles));
        }
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('cuts the long reductions of a face network at B 64 into many chunks', () => {
    // 3×3 conv, 64 → 64 channels at 56×56: 4 output tiles, M = 200 704.
    expect(rowChunks(64 * 56 * 56, matMulTiles(64, 64))).toBe(128);
    // Depthwise over 128 channels at 28×28: one row of 4 tiles.
    expect(rowChunks(64 * 28 * 28, matMulTiles(1, 128))).toBe(128);
    // 512 × 512 at 7×7 already has 256 tiles: two chunks of 1568 rows.
    expect(rowChunks(64 * 7 * 7, matMulTiles(512, 512))).toBe(2);
    expect(rowChunks(100, 1)).toBe(1);
  });
});

describeEachBackend('WebGPU filter-gradient kernels against tfjs cpu', (backend) => {
  it('Conv2DBackpropFilter over random shapes, strides, paddings', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, async (g) => {
        const c = conv2dCase(g);
        await expectLikeCpu(backend, 'Conv2DBackpropFilter', conv2dBackpropFilterChunked, c.inputs, c.attrs);
      }),
      { numRuns: 20, seed: 31 },
    );
  });

  it('DepthwiseConv2dNativeBackpropFilter over random shapes, strides, multipliers', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, async (g) => {
        const c = depthwiseCase(g);
        await expectLikeCpu(backend, 'DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterChunked, c.inputs, c.attrs);
      }),
      { numRuns: 20, seed: 32 },
    );
  });

  it('both, where the rows are cut into chunks', async () => {
    for (const g of chunked) {
      const [oh, ow] = outSize(g, false);
      expect(rowChunks(g.n * oh * ow, 1)).toBeGreaterThan(1);
      const c = conv2dCase(g);
      await expectLikeCpu(backend, 'Conv2DBackpropFilter', conv2dBackpropFilterChunked, c.inputs, c.attrs);
      const d = depthwiseCase(g);
      await expectLikeCpu(backend, 'DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterChunked, d.inputs, d.attrs);
    }
  });

  it('leaks no tensor', async () => {
    await useBackend(backend);
    const x = tf.randomNormal([4, 16, 16, 3]);
    const dy = tf.randomNormal([4, 8, 8, 5]);
    const dyDepthwise = tf.randomNormal([4, 8, 8, 6]);
    await expectNoLeak(() => conv2dBackpropFilterChunked({ inputs: { x, dy }, attrs: { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 5] } }));
    await expectNoLeak(() => depthwiseBackpropFilterChunked({ inputs: { x, dy: dyDepthwise }, attrs: { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 2] } }));
    tf.dispose([x, dy, dyDepthwise]);
  });
});

type Layers = typeof import('@tensorflow/tfjs-layers');

/** Every layer kind of the two face networks whose gradient goes through the two kernels. */
function smallFaceNet(tfl: Layers): import('@tensorflow/tfjs-layers').LayersModel {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: 40 + k });
  const input = tfl.input({ shape: [24, 24, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }).apply(input) as import('@tensorflow/tfjs-layers').SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(x) as typeof x;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(2) }).apply(x) as typeof x;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, kernelInitializer: init(3) }).apply(x) as typeof x;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', useBias: false, depthwiseInitializer: init(4) }).apply(x) as typeof x;
  x = tfl.layers.zeroPadding2d({ padding: 1 }).apply(x) as typeof x;
  x = tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'valid', useBias: true, kernelInitializer: init(5) }).apply(x) as typeof x;
  x = tfl.layers.batchNormalization().apply(x) as typeof x;
  x = tfl.layers.depthwiseConv2d({ kernelSize: 6, padding: 'valid', useBias: false, depthwiseInitializer: init(6) }).apply(x) as typeof x;
  x = tfl.layers.flatten().apply(x) as typeof x;
  x = tfl.layers.dense({ units: 10, kernelInitializer: init(7) }).apply(x) as typeof x;
  return tfl.model({ inputs: input, outputs: x });
}

async function networkGradients(model: import('@tensorflow/tfjs-layers').LayersModel): Promise<Float32Array[]> {
  const input = tf.tensor4d(Float32Array.from({ length: 8 * 24 * 24 * 3 }, (_, k) => Math.sin(k * 0.37)), [8, 24, 24, 3]);
  const weights = tf.tensor2d(Float32Array.from({ length: 8 * 10 }, (_, k) => Math.cos(k * 1.3)), [8, 10]);
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(tf.square(model.apply(input, { training: true }) as tf.Tensor), weights)));
  const out: Float32Array[] = [];
  for (const name of Object.keys(grads).sort()) out.push((await grads[name]!.data()) as Float32Array);
  tf.dispose([input, weights, value, ...Object.values(grads)]);
  return out;
}

describe('registerWebgpuTrainingKernels', () => {
  let tfl: Layers;
  beforeAll(async () => {
    await registerTestBackends();
    await registerGradients();
    tfl = await import('@tensorflow/tfjs-layers');
    await useBackend('cpu');
  });
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('serves both filter gradients for the named backend until unregistered, then restores them', () => {
    const stock = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc;
    const kernels = registerWebgpuTrainingKernels({ backendName: 'cpu' });
    try {
      expect(kernels.kernels).toEqual([tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter, tf.AddN, tf.Concat]);
      expect(kernels.backendName).toBe('cpu');
      expect(kernels.gradients).toEqual([tf.Mean, tf.Sum]);
      expect(registerWebgpuTrainingKernels({ backendName: 'cpu' })).toBe(kernels);
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc).not.toBe(stock);
    } finally {
      kernels.unregister();
    }
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc).toBe(stock);
    // A later call registers afresh.
    const again = registerWebgpuTrainingKernels({ backendName: 'cpu' });
    expect(again).not.toBe(kernels);
    again.unregister();
  });

  it('a small face network trains to the same gradients as with tfjs kernels, leaking nothing', async () => {
    const model = smallFaceNet(tfl);
    const reference = await networkGradients(model);
    // depthwiseMinRows 0: the replacement serves every depthwise layer, the GDC-like one too.
    const kernels = registerWebgpuTrainingKernels({ backendName: 'cpu', depthwiseMinRows: 0 });
    let actual: Float32Array[];
    try {
      actual = await expectNoLeak(() => networkGradients(model));
    } finally {
      kernels.unregister();
    }
    expect(actual.length).toBe(reference.length);
    expect(reference.length).toBeGreaterThan(8);
    let overall = 0;
    for (const ref of reference) for (const g of ref) overall = Math.max(overall, Math.abs(g));
    for (let v = 0; v < reference.length; v++) {
      const ref = reference[v]!;
      const got = actual[v]!;
      let scale = 0;
      let worst = 0;
      for (let k = 0; k < ref.length; k++) {
        scale = Math.max(scale, Math.abs(ref[k]!));
        worst = Math.max(worst, Math.abs(got[k]! - ref[k]!));
      }
      expect(worst, `variable ${v}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6 * overall);
    }
    model.dispose();
  });

  it('Mean and Sum gradients equal tfjs\' own over random shapes and axes, and restore on unregister', async () => {
    const stockMean = tf.getGradient(tf.Mean);
    const stockSum = tf.getGradient(tf.Sum);
    const cases = fc.sample(
      fc.record({
        shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        keepDims: fc.boolean(),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        negative: fc.boolean(),
      }),
      { numRuns: 25, seed: 41 },
    );
    const gradientsOf = async (): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      for (const c of cases) {
        const axes = c.shape.map((_, k) => k).filter((k) => c.pick[k]);
        const axis = axes.length === 0 ? undefined : c.negative ? axes.map((a) => a - c.shape.length) : axes;
        const x = tf.tensor(seededValues(c.seed, c.shape.reduce((a, b) => a * b, 1)), c.shape);
        const reducedSize = tf.tidy(() => tf.sum(x, axis, c.keepDims).size);
        const weights = tf.tensor(seededValues(c.seed + 7, reducedSize));
        const g = tf.grad((v: tf.Tensor) =>
          tf.add(
            tf.sum(tf.mul(tf.reshape(tf.mean(v, axis, c.keepDims), [-1]), weights)),
            tf.sum(tf.mul(tf.reshape(tf.sum(tf.square(v), axis, c.keepDims), [-1]), weights)),
          ),
        )(x);
        out.push((await g.data()) as Float32Array);
        tf.dispose([x, weights, g]);
      }
      return out;
    };
    const reference = await gradientsOf();
    const kernels = registerWebgpuTrainingKernels({ backendName: 'cpu' });
    let actual: Float32Array[];
    try {
      expect(tf.getGradient(tf.Mean)).not.toBe(stockMean);
      actual = await expectNoLeak(() => gradientsOf());
    } finally {
      kernels.unregister();
    }
    expect(tf.getGradient(tf.Mean)).toBe(stockMean);
    expect(tf.getGradient(tf.Sum)).toBe(stockSum);
    for (let k = 0; k < cases.length; k++) {
      const ref = reference[k]!;
      expect(actual[k]!.length).toBe(ref.length);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(actual[k]![i]! - ref[i]!), `case ${k}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref[i]!)));
    }
  });

  it('keeps the backend kernel for a depthwise layer with few rows', () => {
    const calls: string[] = [];
    const stock = tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'cpu')!;
    tf.unregisterKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'cpu');
    tf.registerKernel({ ...stock, kernelFunc: (args) => (calls.push('stock'), stock.kernelFunc(args)) });
    const kernels = registerWebgpuTrainingKernels({ backendName: 'cpu', depthwiseMinRows: 100 });
    try {
      const x = tf.randomNormal([2, 7, 7, 4]);
      const gdc = tf.randomNormal([2, 1, 1, 4]); // a 7×7 'valid' window: 2 rows
      const small = tf.randomNormal([2, 7, 7, 4]); // 3×3 'same': 98 rows, still under 100
      const xMore = tf.randomNormal([4, 7, 7, 4]);
      const more = tf.randomNormal([4, 7, 7, 4]); // 196 rows: the replacement's
      tf.dispose(tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: gdc }, { strides: 1, dilations: 1, pad: 'valid', filterShape: [7, 7, 4, 1] }) as tf.Tensor);
      tf.dispose(tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: small }, { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 4, 1] }) as tf.Tensor);
      expect(calls).toEqual(['stock', 'stock']);
      tf.dispose(tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: xMore, dy: more }, { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 4, 1] }) as tf.Tensor);
      expect(calls).toEqual(['stock', 'stock']);
      tf.dispose([x, gdc, small, more, xMore]);
    } finally {
      kernels.unregister();
      tf.unregisterKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'cpu');
      tf.registerKernel(stock);
    }
  });
});

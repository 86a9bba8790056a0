/**
 * Every stock wasm kernel that `registerWasmTrainingKernels` replaces gives the stock kernel's
 * results: the replacement, run through tfjs, against the stock kernel function captured
 * before registration, on the same backend and the same random inputs. Data movement
 * (Transpose, Slice, Identity) must match bit for bit; arithmetic to float32 rounding (the
 * replacements sum in another order, some in float64, and multiply-add fused).
 *
 * Where the stock kernel itself is wrong — it disagrees with the cpu backend's kernel — the
 * replacement must give the cpu backend's result instead (the stock Conv2D with unequal
 * strides, the stock _FusedMatMul's bias on a transposed 1×1 product); each such case is counted.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerGradients, registerTestBackends, seededValues, useBackend } from '@arcface/testing';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from './register-wasm-training-kernels';

const REPLACED = [
  tf.Conv2D,
  tf.FusedConv2D,
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Transpose,
  tf.Slice,
  tf.Sum,
  tf.Mean,
  tf.FusedBatchNorm,
  tf.Identity,
  tf.Conv2DBackpropInput,
] as const;

const stock = new Map<string, tf.KernelFunc>();
let stockPreluGradient: tf.GradConfig;
let kernels: WasmTrainingKernels;

beforeAll(async () => {
  await registerTestBackends();
  await registerGradients();
  await useBackend('wasm');
  for (const name of REPLACED) stock.set(name, (tf.getKernel(name, 'wasm') as tf.KernelConfig).kernelFunc);
  stockPreluGradient = tf.getGradient(tf.Prelu) as tf.GradConfig;
  kernels = registerWasmTrainingKernels();
});

afterAll(async () => {
  kernels.unregister();
  await useBackend('cpu');
});

function tensor(seed: number, shape: number[]): tf.Tensor {
  return tf.tensor(seededValues(seed, shape.reduce((n, d) => n * d, 1)), shape);
}

/** The registered kernel and the stock one on the same inputs. */
async function both(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): Promise<{ ours: tf.Tensor; theirs: tf.Tensor }> {
  const ours = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const info = (stock.get(name) as tf.KernelFunc)({ inputs, attrs: attrs as unknown as tf.NamedAttrMap, backend: tf.backend() }) as tf.TensorInfo;
  return { ours, theirs: tf.engine().makeTensorFromTensorInfo(info) };
}

/** Whether b is within `relative` of a's largest value (0: bit for bit). */
function close(a: ArrayLike<number>, b: ArrayLike<number>, relative: number): boolean {
  if (a.length !== b.length) return false;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i] as number));
  for (let i = 0; i < b.length; i++) if (!(Math.abs((a[i] as number) - (b[i] as number)) <= relative * scale)) return false;
  return true;
}

/** The same kernel on the cpu backend (the reference where the stock wasm kernel is wrong). */
async function onCpu(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): Promise<ArrayLike<number>> {
  const copies = await Promise.all(Object.entries(inputs).map(async ([key, t]) => [key, await t.data(), t.shape, t.dtype] as const));
  await tf.setBackend('cpu');
  const onCpuInputs = Object.fromEntries(copies.map(([key, values, shape, dtype]) => [key, tf.tensor(values, shape, dtype)]));
  const out = tf.engine().runKernel(name, onCpuInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as ArrayLike<number>;
  tf.dispose([out, ...Object.values(onCpuInputs)]);
  await tf.setBackend('wasm');
  return values;
}

/** Stock kernels found wrong (against cpu) during the run, by kernel. */
const stockWrong = new Map<string, number>();

afterAll(() => {
  // Said, not asserted: how often the stock kernel was the one that erred.
  if (stockWrong.size > 0) console.info(`stock wasm kernels wrong against cpu (replacement equal to cpu): ${JSON.stringify(Object.fromEntries(stockWrong))}`);
});

/**
 * Equal shapes and dtypes, and the stock kernel's values (within `relative` of the largest; 0:
 * bit for bit), or, where the stock kernel disagrees with the cpu backend, the cpu backend's.
 */
async function expectSame({ ours, theirs }: { ours: tf.Tensor; theirs: tf.Tensor }, relative: number, what: unknown, call?: [string, tf.NamedTensorMap, Record<string, unknown>]): Promise<void> {
  expect(ours.shape, JSON.stringify(what)).toEqual(theirs.shape);
  expect(ours.dtype).toBe(theirs.dtype);
  const [a, b] = [(await ours.data()) as ArrayLike<number>, (await theirs.data()) as ArrayLike<number>];
  tf.dispose([ours, theirs]);
  if (close(a, b, relative) || call === undefined) {
    expect(close(a, b, relative) ? 'as stock' : Array.from(a), JSON.stringify(what)).toEqual(close(a, b, relative) ? 'as stock' : Array.from(b));
    return;
  }
  const reference = await onCpu(...call);
  expect(close(b, reference, relative), `${JSON.stringify(what)}: differs from the stock kernel, which is right`).toBe(false);
  expect(close(a, reference, relative), `${JSON.stringify(what)}: differs from the stock kernel and from cpu`).toBe(true);
  stockWrong.set(call[0], (stockWrong.get(call[0]) ?? 0) + 1);
}

/** {@link both} then {@link expectSame}, with cpu as the referee. */
async function check(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>, relative: number, what: unknown): Promise<void> {
  await expectSame(await both(name, inputs, attrs), relative, what, [name, inputs, attrs]);
}

const FLOAT = 2e-5;
const RUNS = { numRuns: 25, seed: 15 };

const convolution = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    cin: fc.integer({ min: 1, max: 20 }),
    cout: fc.integer({ min: 1, max: 19 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.integer({ min: 1, max: 2 }),
    pad: fc.constantFrom('same' as const, 'valid' as const),
    activation: fc.constantFrom('linear', 'relu', 'prelu'),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map((c) => (c.dilation > 1 ? { ...c, stride: [1, 1] as [number, number] } : c))
  .filter((c) => {
    if (c.pad === 'valid' && ((c.kh - 1) * c.dilation >= c.h || (c.kw - 1) * c.dilation >= c.w)) return false;
    return true;
  });

describe('replaced stock wasm kernels give the stock kernels\' results', () => {
  it('Conv2D', async () => {
    await fc.assert(
      fc.asyncProperty(convolution, async (c) => {
        const x = tensor(c.seed, [c.batch, c.h, c.w, c.cin]);
        const filter = tensor(c.seed + 1, [c.kh, c.kw, c.cin, c.cout]);
        await check(tf.Conv2D, { x, filter }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilation }, FLOAT, c);
        tf.dispose([x, filter]);
      }),
      RUNS,
    );
  });

  it('FusedConv2D (bias, relu, prelu)', async () => {
    await fc.assert(
      fc.asyncProperty(convolution, async (c) => {
        const x = tensor(c.seed, [c.batch, c.h, c.w, c.cin]);
        const filter = tensor(c.seed + 1, [c.kh, c.kw, c.cin, c.cout]);
        const bias = tensor(c.seed + 2, [c.cout]);
        const slope = tensor(c.seed + 3, [c.cout]);
        const inputs: tf.NamedTensorMap = { x, filter, ...(c.bias ? { bias } : {}), ...(c.activation === 'prelu' ? { preluActivationWeights: slope } : {}) };
        const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilation, activation: c.activation };
        await check(tf.FusedConv2D, inputs, attrs, FLOAT, c);
        tf.dispose([x, filter, bias, slope]);
      }),
      RUNS,
    );
  });

  it('Conv2DBackpropInput', async () => {
    await fc.assert(
      fc.asyncProperty(convolution, async (c) => {
        const info = tf.backend_util.computeConv2DInfo([c.batch, c.h, c.w, c.cin], [c.kh, c.kw, c.cin, c.cout], c.stride, c.dilation, c.pad);
        if (c.dilation > 1) return; // tfjs' input gradient takes no dilations
        const dy = tensor(c.seed, [c.batch, info.outHeight, info.outWidth, c.cout]);
        const filter = tensor(c.seed + 1, [c.kh, c.kw, c.cin, c.cout]);
        const attrs = { inputShape: [c.batch, c.h, c.w, c.cin], strides: c.stride, pad: c.pad, dataFormat: 'NHWC' };
        await check(tf.Conv2DBackpropInput, { dy, filter }, attrs, FLOAT, c);
        tf.dispose([dy, filter]);
      }),
      RUNS,
    );
  });

  const product = fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    m: fc.integer({ min: 1, max: 40 }),
    k: fc.integer({ min: 1, max: 70 }),
    n: fc.integer({ min: 1, max: 40 }),
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
    activation: fc.constantFrom('linear', 'relu', 'prelu'),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

  it('BatchMatMul (transposed operands, batches)', async () => {
    await fc.assert(
      fc.asyncProperty(product, async (c) => {
        const a = tensor(c.seed, c.transposeA ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k]);
        const b = tensor(c.seed + 1, c.transposeB ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n]);
        await check(tf.BatchMatMul, { a, b }, { transposeA: c.transposeA, transposeB: c.transposeB }, FLOAT, c);
        tf.dispose([a, b]);
      }),
      RUNS,
    );
  });

  it('_FusedMatMul (bias, relu, prelu)', async () => {
    await fc.assert(
      fc.asyncProperty(product, async (c) => {
        const a = tensor(c.seed, c.transposeA ? [c.batch, c.k, c.m] : [c.batch, c.m, c.k]);
        const b = tensor(c.seed + 1, c.transposeB ? [c.batch, c.n, c.k] : [c.batch, c.k, c.n]);
        const bias = tensor(c.seed + 2, [c.n]);
        const slope = tensor(c.seed + 3, [c.n]);
        const inputs: tf.NamedTensorMap = { a, b, ...(c.bias ? { bias } : {}), ...(c.activation === 'prelu' ? { preluActivationWeights: slope } : {}) };
        await check(tf._FusedMatMul, inputs, { transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation }, FLOAT, c);
        tf.dispose([a, b, bias, slope]);
      }),
      RUNS,
    );
  });

  const shaped = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 });

  it('Transpose (bit for bit, float32 and int32)', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), async (shape, seed, integer) => {
        const perm = fc.sample(fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }), { seed, numRuns: 1 })[0] as number[];
        const x = integer ? tf.cast(tf.mul(tensor(seed, shape), 1000), 'int32') : tensor(seed, shape);
        await expectSame(await both(tf.Transpose, { x }, { perm }), 0, { shape, perm });
        x.dispose();
      }),
      RUNS,
    );
  });

  it('Slice (bit for bit)', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), async (shape, seed) => {
        const [begin, size] = fc.sample(
          fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: d - b }))))),
          { seed, numRuns: 1 },
        )[0]!.reduce<[number[], number[]]>(([bs, ss], [b, s]) => [[...bs, b], [...ss, s]], [[], []]);
        const x = tensor(seed, shape);
        await expectSame(await both(tf.Slice, { x }, { begin, size }), 0, { shape, begin, size });
        x.dispose();
      }),
      RUNS,
    );
  });

  for (const kernel of [tf.Sum, tf.Mean]) {
    it(`${kernel} over any axes, kept or not`, async () => {
      await fc.assert(
        fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), async (shape, seed, keepDims) => {
          const axis = fc.sample(fc.subarray([...shape.keys()], { minLength: 1 }), { seed, numRuns: 1 })[0] as number[];
          const x = tensor(seed, shape);
          await check(kernel, { x }, { axis, keepDims }, FLOAT, { shape, axis, keepDims });
          x.dispose();
        }),
        RUNS,
      );
    });
  }

  it('FusedBatchNorm (with and without offset and scale)', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), fc.boolean(), async (shape, seed, offset, scale) => {
        const channels = shape[shape.length - 1] as number;
        const x = tensor(seed, shape);
        const mean = tensor(seed + 1, [channels]);
        const variance = tf.abs(tensor(seed + 2, [channels]));
        const beta = tensor(seed + 3, [channels]);
        const gamma = tensor(seed + 4, [channels]);
        const inputs: tf.NamedTensorMap = { x, mean, variance, ...(offset ? { offset: beta } : {}), ...(scale ? { scale: gamma } : {}) };
        await check(tf.FusedBatchNorm, inputs, { varianceEpsilon: 1e-3 }, FLOAT, { shape, offset, scale });
        tf.dispose([x, mean, variance, beta, gamma]);
      }),
      RUNS,
    );
  });

  it('Identity (bit for bit, every dtype)', async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom('float32', 'int32', 'bool'), async (shape, seed, dtype) => {
        const x = tf.cast(tf.mul(tensor(seed, shape), 3), dtype as tf.DataType);
        await expectSame(await both(tf.Identity, { x }, {}), 0, { shape, dtype });
        x.dispose();
      }),
      RUNS,
    );
  });

  it("PReLU's gradient (registered for every backend) equals tfjs' own", async () => {
    await fc.assert(
      fc.asyncProperty(shaped, fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), async (shape, seed, shared) => {
        const x = tensor(seed, shape);
        const alpha = shared ? tf.scalar(0.2) : tensor(seed + 1, [shape[shape.length - 1] as number]);
        const dy = tensor(seed + 2, shape);
        const ours = (tf.getGradient(tf.Prelu) as tf.GradConfig).gradFunc(dy, [x, alpha], {});
        const theirs = stockPreluGradient.gradFunc(dy, [x, alpha], {});
        for (const input of ['x', 'alpha']) {
          await expectSame({ ours: (ours[input] as () => tf.Tensor)(), theirs: (theirs[input] as () => tf.Tensor)() }, FLOAT, { shape, shared, input });
        }
        tf.dispose([x, alpha, dy]);
      }),
      RUNS,
    );
  });
});

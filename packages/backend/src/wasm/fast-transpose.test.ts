import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, useBackend } from '@arcface/testing';
import { copyStrided, rowMajorStrides, simplifyView } from './strided-copy';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

/** `tf.transpose` on `backend` of the same values, as a flat array of the output's dtype. */
async function transposedOn(backend: string, values: number[], shape: number[], perm: number[], dtype: 'float32' | 'int32' | 'bool'): Promise<number[]> {
  await useBackend(backend);
  const x = tf.tensor(values, shape, dtype);
  const y = tf.transpose(x, perm);
  const out = Array.from(await y.data());
  expect(y.shape).toEqual(perm.map((a) => shape[a]));
  tf.dispose([x, y]);
  return out;
}

const shapeAndPerm = fc
  .array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 })
  .chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, a) => a), { minLength: shape.length, maxLength: shape.length })));

describe('wasm Transpose as a tiled copy', () => {
  useWasmTrainingKernels();

  it('equals the cpu backend bit for bit over random shapes, permutations and dtypes', async () => {
    await fc.assert(
      fc.asyncProperty(shapeAndPerm, fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const), async ([shape, perm], dtype) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, k) => (dtype === 'bool' ? k % 3 === 0 ? 1 : 0 : dtype === 'int32' ? k * 7 - 50 : Math.fround(Math.sin(k) * 1e3)));
        const reference = await transposedOn('cpu', values, shape, perm, dtype);
        const actual = await expectNoLeak(() => transposedOn('wasm', values, shape, perm, dtype));
        expect(actual).toEqual(reference);
      }),
      { numRuns: 60, seed: 17 },
    );
  });

  // Sides above the 32-element tile, not multiples of it: the tile edges.
  for (const [shape, perm] of [
    [[5, 70, 45], [2, 1, 0]],
    [[3, 33, 40, 65], [3, 1, 2, 0]],
    [[65, 3, 34], [2, 1, 0]],
  ] as Array<[number[], number[]]>) {
    it(`[${shape}] by [${perm}] crosses tile edges exactly`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, k) => k);
      expect(await transposedOn('wasm', values, shape, perm, 'float32')).toEqual(await transposedOn('cpu', values, shape, perm, 'float32'));
    });
  }

  it('keeps NaN payloads and signed zeros (the words move as integers)', async () => {
    const values = [NaN, -0, 0, Infinity, -Infinity, 1e-45, 3, 4, 5, 6, 7, 8];
    const actual = await transposedOn('wasm', values, [2, 3, 2], [2, 1, 0], 'float32');
    const reference = await transposedOn('cpu', values, [2, 3, 2], [2, 1, 0], 'float32');
    expect(actual.map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(reference.map((v) => Object.is(v, -0) ? '-0' : String(v)));
  });
});

describe('copyStrided', () => {
  it('merges axes that stay contiguous and drops size-1 axes', () => {
    const strides = rowMajorStrides([16, 112, 112, 64]);
    const perm = [3, 1, 2, 0];
    expect(simplifyView(perm.map((a) => [16, 112, 112, 64][a]!), perm.map((a) => strides[a]!))).toEqual({ shape: [64, 12544, 16], strides: [1, 64, 802816] });
    expect(simplifyView([1, 4, 1, 5], [999, 5, 7, 1])).toEqual({ shape: [20], strides: [1] });
  });

  it('copies any strided view like index arithmetic does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 9 }),
        (axes, offset) => {
          const shape = axes.map(([size]) => size);
          const strides = axes.map(([, stride]) => stride);
          const extent = offset + axes.reduce((m, [size, stride]) => m + (size - 1) * stride, 0) + 1;
          const source = Int32Array.from({ length: extent }, (_, k) => k * 3 + 1);
          const count = shape.reduce((a, b) => a * b, 1);
          const target = new Int32Array(count);
          copyStrided(source, offset, shape, strides, target);
          const expected = new Int32Array(count);
          for (let k = 0; k < count; k++) {
            let rest = k;
            let at = offset;
            for (let a = shape.length - 1; a >= 0; a--) {
              at += (rest % shape[a]!) * strides[a]!;
              rest = Math.floor(rest / shape[a]!);
            }
            expected[k] = source[at]!;
          }
          expect(Array.from(target)).toEqual(Array.from(expected));
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });
});

describe('wasm Slice as a strided copy on the heap', () => {
  useWasmTrainingKernels();

  const sliced = async (backend: string, values: number[], shape: number[], begin: number[], size: number[], dtype: 'float32' | 'int32' | 'bool') => {
    await useBackend(backend);
    const x = tf.tensor(values, shape, dtype);
    const y = tf.slice(x, begin, size);
    const out = { shape: y.shape, values: Array.from(await y.data()) };
    tf.dispose([x, y]);
    return out;
  };

  it('equals the cpu backend over random shapes, starts and sizes (−1 included)', async () => {
    const sliceCase = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: d - b })))))),
        fc.constantFrom('float32' as const, 'int32' as const, 'bool' as const),
      ),
    );
    await fc.assert(
      fc.asyncProperty(sliceCase, async ([shape, ranges, dtype]) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, k) => (dtype === 'bool' ? k % 2 : k * 3 - 7));
        const begin = ranges.map(([b]) => b);
        const size = ranges.map(([, s]) => s);
        const reference = await sliced('cpu', values, shape, begin, size, dtype);
        expect(await expectNoLeak(() => sliced('wasm', values, shape, begin, size, dtype))).toEqual(reference);
      }),
      { numRuns: 80, seed: 29 },
    );
  });
});

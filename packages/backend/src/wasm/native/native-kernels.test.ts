import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { columnBlocks } from './column-pool';
import { KERNELS_SOURCE_SHA256 } from './kernels-binary';
import { gemmScratchFloats, nativeKernels, setNativeKernelsRelaxedSimd, setNativeKernelThreads, type NativeKernels } from './native-kernels';
import { seededValues } from '@arcface/testing';

const HERE = dirname(fileURLToPath(import.meta.url));

it('the embedded modules were built from native/kernels.c as it is (pnpm --filter @arcface/backend build:native)', () => {
  const source = readFileSync(join(HERE, '..', '..', '..', 'native', 'kernels.c'));
  expect(createHash('sha256').update(source).digest('hex')).toBe(KERNELS_SOURCE_SHA256);
});

it('column blocks cover [0, n) in order, without overlap, cut at multiples of 8', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 16 }), (columns, parts) => {
      const blocks = columnBlocks(columns, parts);
      expect(blocks.length).toBeGreaterThanOrEqual(1);
      expect(blocks.length).toBeLessThanOrEqual(parts);
      expect(blocks[0]![0]).toBe(0);
      expect(blocks.at(-1)![1]).toBe(columns);
      for (let i = 0; i < blocks.length; i++) {
        const [from, to] = blocks[i]!;
        expect(to).toBeGreaterThan(from);
        if (i > 0) expect(from).toBe(blocks[i - 1]![1]);
        if (i < blocks.length - 1) expect(to % 8).toBe(0);
      }
    }),
  );
});

/** A fake wasm backend: the kernels only need its memory. */
function heap(shared: boolean): { backend: tf.KernelBackend; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory(shared ? { initial: 512, maximum: 65536, shared: true } : { initial: 512 });
  return { backend: { wasm: { wasmMemory: memory } } as unknown as tf.KernelBackend, memory };
}

/** Hands out float arrays on the heap, from 64 bytes up. */
function allocator(memory: WebAssembly.Memory) {
  let next = 64;
  return (values: ArrayLike<number>): { address: number; view: Float32Array } => {
    const address = next;
    next += 4 * values.length + 64;
    const view = new Float32Array(memory.buffer, address, values.length);
    view.set(values);
    return { address, view };
  };
}


/**
 * Calls `visit` for every (output pixel, filter tap) whose input pixel lies inside the image,
 * with the input pixel's index, the output pixel's index (both over batch·rows·columns) and the
 * tap's index (row·kw + column): the direct sum of a filter gradient, in float64.
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (input: number, output: number, tap: number) => void): void {
  for (let n = 0; n < info.batchSize; n++)
    for (let oy = 0; oy < info.outHeight; oy++)
      for (let ox = 0; ox < info.outWidth; ox++)
        for (let p = 0; p < info.filterHeight; p++)
          for (let q = 0; q < info.filterWidth; q++) {
            const iy = oy * info.strideHeight + p * info.dilationHeight - info.padInfo.top;
            const ix = ox * info.strideWidth + q * info.dilationWidth - info.padInfo.left;
            if (iy < 0 || iy >= info.inHeight || ix < 0 || ix >= info.inWidth) continue;
            visit((n * info.inHeight + iy) * info.inWidth + ix, (n * info.outHeight + oy) * info.outWidth + ox, p * info.filterWidth + q);
          }
}

function expectClose(actual: Float32Array, expected: ArrayLike<number>, scale: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst, what).toBeLessThanOrEqual(1e-5 * Math.max(scale, 1));
}

async function ready(kernels: NativeKernels, threads: number): Promise<void> {
  for (let waited = 0; kernels.threads < threads && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  expect(kernels.threads).toBe(threads);
}

/** Floats after a scratch buffer that a kernel must leave as they are. */
const GUARD_FLOATS = 4096;
const GUARD_VALUE = 7.25;

const variants = [false, true].flatMap((shared) => [true, false].map((relaxed) => ({ shared, relaxed })));
for (const { shared, relaxed } of variants) {
  const memoryKind = shared ? 'a shared memory, two threads' : 'a plain memory, one thread';
  describe(`native kernels on ${memoryKind}, ${relaxed ? 'relaxed SIMD multiply-add' : 'SIMD128 multiply and add'}`, () => {
    setNativeKernelThreads(shared ? 2 : 1);
    const previousRelaxed = setNativeKernelsRelaxedSimd(relaxed);
    const { backend, memory } = heap(shared);
    const kernels = nativeKernels(backend) as NativeKernels;
    setNativeKernelsRelaxedSimd(previousRelaxed);
    afterAll(() => setNativeKernelThreads(1));

    it('instantiate on the memory given, with the multiply-add asked for', async () => {
      expect(kernels).toBeDefined();
      // Node 22 validates relaxed SIMD, Node 20 with the flag vitest.config.ts starts the tests with.
      expect(kernels.relaxedSimd).toBe(relaxed);
      await ready(kernels, shared ? 2 : 1);
    });

    it('gemm: a·b and aᵀ·b, overwriting or accumulating, b packed or read in place, equal a float64 product', () => {
      fc.assert(
        fc.property(
          fc.record({
            m: fc.integer({ min: 1, max: 70 }),
            n: fc.integer({ min: 1, max: 70 }),
            k: fc.integer({ min: 0, max: 600 }),
            transposeA: fc.boolean(),
            accumulate: fc.boolean(),
            packed: fc.boolean(),
            padding: fc.integer({ min: 0, max: 5 }),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          ({ m, n, k, transposeA, accumulate, packed, padding, seed }) => {
            const alloc = allocator(memory);
            // Row strides wider than the rows (padding) check that strides, not shapes, are followed.
            const ldc = n + padding;
            const ldb = n + padding;
            const a = seededValues(seed, m * k);
            const b = seededValues(seed + 1, k * ldb);
            const c0 = seededValues(seed + 2, m * ldc);
            const [ars, acs] = transposeA ? [1, m] : [k, 1];
            const expected = Float64Array.from(c0, (v) => Math.fround(v));
            for (let i = 0; i < m; i++)
              for (let j = 0; j < n; j++) {
                let s = accumulate ? expected[i * ldc + j]! : 0;
                for (let p = 0; p < k; p++) s += Math.fround(a[i * ars + p * acs]!) * Math.fround(b[p * ldb + j]!);
                expected[i * ldc + j] = s;
              }
            const [A, B, C] = [alloc(a), alloc(b), alloc(c0)];
            // NaN in the scratch: a panel read before it is packed would show.
            const scratch = packed ? alloc(new Float32Array(gemmScratchFloats(k, n)).fill(Number.NaN)).address : 0;
            kernels.gemm({ m, n, k, a: A.address, ars, acs, b: B.address, ldb, c: C.address, ldc, accumulate, scratch });
            expectClose(C.view, expected, Math.sqrt(k) * 2, JSON.stringify({ m, n, k, transposeA, accumulate, packed }));
          },
        ),
        { numRuns: 60, seed: 3 },
      );
    });

    it('conv2d_filter_gradient equals the direct sum over random geometries (strides, dilations, paddings)', () => {
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 3 }),
            h: fc.integer({ min: 1, max: 12 }),
            w: fc.integer({ min: 1, max: 12 }),
            cin: fc.integer({ min: 1, max: 9 }),
            cout: fc.integer({ min: 1, max: 19 }),
            kh: fc.integer({ min: 1, max: 4 }),
            kw: fc.integer({ min: 1, max: 4 }),
            stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
            dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
            pad: fc.constantFrom('same', 'valid', 'explicit'),
            packed: fc.boolean(),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          (g) => {
            const pad = g.pad === 'explicit' ? ([[0, 0], [1, 2], [2, 0], [0, 0]] as tf.backend_util.ExplicitPadding) : (g.pad as 'same' | 'valid');
            let info: tf.backend_util.Conv2DInfo;
            try {
              info = tf.backend_util.computeConv2DInfo([g.batch, g.h, g.w, g.cin], [g.kh, g.kw, g.cin, g.cout], g.stride, g.dilation, pad);
            } catch {
              return; // a geometry tfjs itself refuses
            }
            if (info.outHeight <= 0 || info.outWidth <= 0) return;
            const alloc = allocator(memory);
            const x = seededValues(g.seed, g.batch * g.h * g.w * g.cin);
            const dy = seededValues(g.seed + 1, g.batch * info.outHeight * info.outWidth * g.cout);
            const expected = new Float64Array(g.kh * g.kw * g.cin * g.cout);
            forEachTap(info, (input, output, tap) => {
              for (let ci = 0; ci < g.cin; ci++)
                for (let co = 0; co < g.cout; co++) expected[(tap * g.cin + ci) * g.cout + co]! += x[input * g.cin + ci]! * dy[output * g.cout + co]!;
            });
            const [X, DY] = [alloc(x), alloc(dy)];
            // Filled with garbage first: the kernel must overwrite every element.
            const DW = alloc(new Float64Array(expected.length).fill(12345));
            // NaN in the scratch (which a 1×1 gradient packs dy into): a panel read before it is
            // packed would show. A guard band after it must come back untouched: a column range
            // packed outside its share of the scratch once corrupted the wasm heap.
            const pixels = g.batch * info.outHeight * info.outWidth;
            const scratchFloats = gemmScratchFloats(pixels, g.cout);
            const guarded = g.packed ? alloc(new Float32Array(scratchFloats + GUARD_FLOATS).fill(Number.NaN).fill(GUARD_VALUE, scratchFloats)) : undefined;
            kernels.conv2dFilterGradient({ x: X.address, dy: DY.address, dw: DW.address, info, scratch: guarded?.address ?? 0 });
            expectClose(DW.view, expected, pixels, JSON.stringify(g));
            if (guarded !== undefined) expect(guarded.view.subarray(scratchFloats).every((v) => v === GUARD_VALUE), `scratch overrun: ${JSON.stringify(g)}`).toBe(true);
          },
        ),
        // The first example: a 1×1 gradient over more pixels than one reduction block (KC = 256).
        // The second: fewer pixels than one block, and more than 8 output columns, so that the
        // second thread's columns start past the first's share of the scratch.
        {
          numRuns: 80,
          seed: 4,
          examples: [
            [{ batch: 3, h: 12, w: 12, cin: 9, cout: 19, kh: 1, kw: 1, stride: [1, 1], dilation: [1, 1], pad: 'valid', packed: true, seed: 5 }],
            [{ batch: 2, h: 4, w: 4, cin: 9, cout: 19, kh: 1, kw: 1, stride: [1, 1], dilation: [1, 1], pad: 'valid', packed: true, seed: 6 }],
          ],
        },
      );
    });

    it('depthwise_filter_gradient equals the direct sum over random geometries', () => {
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 3 }),
            h: fc.integer({ min: 1, max: 12 }),
            w: fc.integer({ min: 1, max: 12 }),
            ch: fc.integer({ min: 1, max: 40 }),
            k: fc.integer({ min: 1, max: 4 }),
            stride: fc.integer({ min: 1, max: 3 }),
            dilation: fc.integer({ min: 1, max: 2 }),
            pad: fc.constantFrom('same', 'valid'),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          (g) => {
            if (g.stride > 1 && g.dilation > 1) return; // tfjs refuses both
            const info = tf.backend_util.computeConv2DInfo([g.batch, g.h, g.w, g.ch], [g.k, g.k, g.ch, 1], g.stride, g.dilation, g.pad as 'same', undefined, true);
            if (info.outHeight <= 0 || info.outWidth <= 0) return;
            const alloc = allocator(memory);
            const x = seededValues(g.seed, g.batch * g.h * g.w * g.ch);
            const dy = seededValues(g.seed + 1, g.batch * info.outHeight * info.outWidth * g.ch);
            const expected = new Float64Array(g.k * g.k * g.ch);
            forEachTap(info, (input, output, tap) => {
              for (let c = 0; c < g.ch; c++) expected[tap * g.ch + c]! += x[input * g.ch + c]! * dy[output * g.ch + c]!;
            });
            const [X, DY] = [alloc(x), alloc(dy)];
            const DW = alloc(new Float64Array(expected.length).fill(-777));
            kernels.depthwiseFilterGradient({ x: X.address, dy: DY.address, dw: DW.address, info });
            expectClose(DW.view, expected, g.batch * info.outHeight * info.outWidth, JSON.stringify(g));
          },
        ),
        { numRuns: 60, seed: 5 },
      );
    });

    it('channel passes (affine, PReLU gradients, column sums, means and moments) equal float64 loops', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 2 ** 30 }), (rows, cols, seed) => {
          const alloc = allocator(memory);
          const x = seededValues(seed, rows * cols).map((v, i) => (i % 7 === 0 ? 0 : Math.fround(v))); // zeros: the x > 0 edge
          const dy = seededValues(seed + 1, rows * cols).map(Math.fround);
          const perChannel = seededValues(seed + 2, cols).map(Math.fround);
          const shift = seededValues(seed + 3, cols).map(Math.fround);
          const [X, DY, P, S] = [alloc(x), alloc(dy), alloc(perChannel), alloc(shift)];
          const out = alloc(new Float64Array(rows * cols).fill(99));
          const sums = alloc(new Float64Array(cols).fill(99));
          const at = (r: number, c: number) => r * cols + c;

          kernels.channelAffine({ x: X.address, k: P.address, shift: S.address, out: out.address, rows, cols });
          expectClose(out.view, Array.from({ length: rows * cols }, (_, i) => x[i]! * perChannel[i % cols]! + shift[i % cols]!), 1, 'affine');

          kernels.preluInputGradient({ x: X.address, alpha: P.address, dy: DY.address, out: out.address, rows, cols });
          expectClose(out.view, Array.from({ length: rows * cols }, (_, i) => (x[i]! > 0 ? dy[i]! : dy[i]! * perChannel[i % cols]!)), 1, 'prelu dx');

          const columnSum = (f: (r: number, c: number) => number) =>
            Array.from({ length: cols }, (_, c) => {
              let s = 0;
              for (let r = 0; r < rows; r++) s += f(r, c);
              return s;
            });
          kernels.preluSlopeGradient({ x: X.address, dy: DY.address, out: sums.address, rows, cols });
          expectClose(sums.view, columnSum((r, c) => Math.min(x[at(r, c)]!, 0) * dy[at(r, c)]!), 1, 'prelu dalpha');

          kernels.columnSums({ x: X.address, out: sums.address, rows, cols, divisor: 1 });
          expectClose(sums.view, columnSum((r, c) => x[at(r, c)]!), 1, 'sum');
          kernels.columnSums({ x: X.address, out: sums.address, rows, cols, divisor: rows });
          expectClose(sums.view, columnSum((r, c) => x[at(r, c)]! / rows), 1, 'mean');

          const moments = alloc(new Float64Array(2 * cols).fill(99));
          kernels.columnMoments({ x: X.address, out: moments.address, rows, cols });
          const mean = columnSum((r, c) => x[at(r, c)]! / rows);
          expectClose(moments.view, [...mean, ...columnSum((r, c) => (x[at(r, c)]! - mean[c]!) ** 2 / rows)], 1, 'moments');
        }),
        // The first example is large enough to be split among threads.
        { numRuns: 60, seed: 7, examples: [[2000, 67, 1]] },
      );
    });

    it('row normalisation and its gradient equal float64 loops, rows under the clamp included', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 2 ** 30 }), (rows, cols, seed) => {
          const alloc = allocator(memory);
          // Every fifth row tiny (‖x‖ below 1e-12): the clamp, and its gradient without the projection.
          const x = seededValues(seed, rows * cols).map((v, i) => Math.fround(Math.floor(i / cols) % 5 === 4 ? v * 1e-14 : v));
          const g = seededValues(seed + 1, rows * cols).map(Math.fround);
          const scale = Math.fround(0.25 + (seed % 7));
          const [X, G, K] = [alloc(x), alloc(g), alloc([scale])];
          const [unit, inverse, unclamped, norm, dx] = [rows * cols, rows, rows, rows, rows * cols].map((n) => alloc(new Float64Array(n).fill(99)));
          kernels.rowNormalize({ x: X.address, unit: unit!.address, inverse: inverse!.address, unclamped: unclamped!.address, norm: norm!.address, rows, cols });
          kernels.rowNormalizeGradient({
            unit: unit!.address, inverse: inverse!.address, unclamped: unclamped!.address, g: G.address, scale: K.address, dx: dx!.address, rows, cols,
          });
          const expected = { unit: [] as number[], inverse: [] as number[], unclamped: [] as number[], norm: [] as number[], dx: [] as number[] };
          for (let r = 0; r < rows; r++) {
            const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
            const q = row.reduce((s, v) => s + v * v, 0);
            const f = 1 / Math.sqrt(Math.max(q, 1e-24));
            const u = row.map((v) => v * f);
            const gr = Array.from(g.subarray(r * cols, (r + 1) * cols));
            const projection = q > 1e-24 ? u.reduce((s, v, c) => s + v * gr[c]!, 0) : 0;
            expected.unit.push(...u);
            expected.inverse.push(q > 1e-24 ? f : 1); // compared relative to 1e12 below
            expected.unclamped.push(q > 1e-24 ? 1 : 0);
            expected.norm.push(Math.sqrt(q));
            expected.dx.push(...gr.map((v, c) => (q > 1e-24 ? scale * f * (v - u[c]! * projection) : v)));
          }
          expectClose(unit!.view, expected.unit, 1, 'unit rows');
          expectClose(unclamped!.view, expected.unclamped, 1, 'unclamped');
          expectClose(norm!.view, expected.norm, Math.sqrt(cols), 'norms');
          // A clamped row's inverse is 1e12 and its gradient g·scale·1e12: compared after dividing that out.
          const clamped = (r: number) => expected.unclamped[r] === 0;
          expectClose(inverse!.view.map((v, r) => (clamped(r) ? v / 1e12 : v)), expected.inverse, 1, 'inverse norms');
          expectClose(dx!.view.map((v, i) => (clamped(Math.floor(i / cols)) ? v / (scale * 1e12) : v)), expected.dx, scale * 10, 'gradient');
        }),
        { numRuns: 60, seed: 11, examples: [[2000, 67, 1]] },
      );
    });

    it('an operand outside the memory is an error, not a hang', () => {
      const beyond = memory.buffer.byteLength + 4096;
      expect(() => kernels.gemm({ m: 64, n: 64, k: 64, a: 64, ars: 64, acs: 1, b: 64, ldb: 64, c: beyond, ldc: 64, accumulate: false })).toThrow();
      // Still usable afterwards.
      const alloc = allocator(memory);
      const A = alloc([2]);
      const B = alloc([3]);
      const C = alloc([0]);
      kernels.gemm({ m: 1, n: 1, k: 1, a: A.address, ars: 1, acs: 1, b: B.address, ldb: 1, c: C.address, ldc: 1, accumulate: false });
      expect(C.view[0]).toBe(6);
    });
  });
}

import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, seededValues, useBackend } from '@arcface/testing';
import { useWasmTrainingKernels } from './test-fixtures/wasm-training-kernels';

interface Case {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: number;
  pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
  bias: boolean;
  activation: 'linear' | 'relu' | 'prelu';
  slopeScalar: boolean;
  seed: number;
}

const geometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 11 }),
    // Below 8 input channels the stock kernel keeps the geometries it gets right.
    cin: fc.integer({ min: 1, max: 20 }),
    cout: fc.integer({ min: 1, max: 21 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.integer({ min: 1, max: 2 }),
    pad: fc.oneof(
      fc.constant('same' as const),
      fc.constant('valid' as const),
      fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(
        ([t, b, l, r]) => [[0, 0], [t, b], [l, r], [0, 0]] as [[0, 0], [number, number], [number, number], [0, 0]],
      ),
    ),
    bias: fc.boolean(),
    activation: fc.constantFrom('linear' as const, 'relu' as const, 'prelu' as const),
    slopeScalar: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  // tfjs allows dilations only with stride 1; 'valid' needs the dilated filter to fit.
  .map((c) => (c.dilation > 1 ? { ...c, stride: [1, 1] as [number, number] } : c))
  // At least one output pixel.
  .filter((c) => {
    const extra = c.pad === 'valid' ? [0, 0] : c.pad === 'same' ? undefined : [c.pad[1][0] + c.pad[1][1], c.pad[2][0] + c.pad[2][1]];
    return extra === undefined || ((c.kh - 1) * c.dilation < c.h + extra[0]! && (c.kw - 1) * c.dilation < c.w + extra[1]!);
  });

async function convolveOn(backend: string, c: Case): Promise<{ values: Float32Array; shape: number[] }> {
  await useBackend(backend);
  const x = tf.tensor4d(seededValues(c.seed, c.batch * c.h * c.w * c.cin), [c.batch, c.h, c.w, c.cin]);
  const filter = tf.tensor4d(seededValues(c.seed + 1, c.kh * c.kw * c.cin * c.cout), [c.kh, c.kw, c.cin, c.cout]);
  const bias = c.bias ? tf.tensor1d(seededValues(c.seed + 2, c.cout)) : undefined;
  const slope = c.slopeScalar ? tf.scalar(0.25) : tf.tensor1d(seededValues(c.seed + 3, c.cout));
  const y = await expectNoLeak(() =>
    tf.fused.conv2d({
      x,
      filter,
      strides: c.stride,
      pad: c.pad,
      dilations: c.dilation,
      ...(bias ? { bias } : {}),
      activation: c.activation,
      ...(c.activation === 'prelu' ? { preluActivationWeights: slope } : {}),
    }),
  );
  const values = (await y.data()) as Float32Array;
  const shape = y.shape;
  // The kernel reads its bias and slope in place: they stay intact for the next call.
  if (bias) expect(Array.from(await bias.data())).toEqual(Array.from(seededValues(c.seed + 2, c.cout)));
  expect((await slope.data()).length).toBe(c.slopeScalar ? 1 : c.cout);
  tf.dispose([x, filter, slope, y, ...(bias ? [bias] : [])]);
  return { values, shape };
}

describe('wasm Conv2D and FusedConv2D on the native kernels', () => {
  useWasmTrainingKernels();

  it('equal the cpu backend over random geometries, biases and activations', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, async (c) => {
        const expected = await convolveOn('cpu', c);
        const actual = await convolveOn('wasm', c);
        expect(actual.shape).toEqual(expected.shape);
        let scale = 1e-3;
        for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
        let worst = 0;
        for (let i = 0; i < expected.values.length; i++) worst = Math.max(worst, Math.abs(actual.values[i]! - expected.values[i]!));
        expect(worst, JSON.stringify(c)).toBeLessThanOrEqual(1e-5 * scale);
      }),
      {
        numRuns: 100,
        seed: 29,
        // Large enough to be split among threads, with more than KC (256) input channels and a partial panel.
        examples: [[{ batch: 2, h: 12, w: 13, cin: 300, cout: 43, kh: 3, kw: 3, stride: [1, 1], dilation: 1, pad: 'same', bias: true, activation: 'prelu', slopeScalar: false, seed: 3 }]],
      },
    );
  });
});

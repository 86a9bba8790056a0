import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { registerTestBackends, seededValues, useBackend } from '@arcface/testing';
import { makeBoundedAddN, makeBoundedConcat } from './bounded-inputs';

beforeAll(async () => {
  await registerTestBackends();
  await useBackend('cpu');
});

/** The cpu backend as a device that binds `buffers` storage buffers per kernel call. */
function limited(buffers: number): tf.KernelBackend {
  const cpu = tf.backend();
  return new Proxy(cpu, { get: (target, key) => (key === 'device' ? { limits: { maxStorageBuffersPerShaderStage: buffers } } : Reflect.get(target, key)) });
}

const cases = fc.record({
  count: fc.integer({ min: 1, max: 20 }),
  buffers: fc.integer({ min: 3, max: 9 }),
  length: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

for (const [kernelName, make] of [
  [tf.AddN, makeBoundedAddN],
  [tf.Concat, makeBoundedConcat],
] as const) {
  it(`${kernelName} in groups the device can bind gives the ungrouped result, never binding more inputs than buffers − 1, and frees its partial results`, () => {
    const stock = (tf.getKernel(kernelName, 'cpu') as tf.KernelConfig).kernelFunc;
    fc.assert(
      fc.property(cases, ({ count, buffers, length, seed }) => {
        const before = tf.memory().numTensors;
        const dataBefore = tf.engine().backend.numDataIds();
        const inputs = Array.from({ length: count }, (_, i) => tf.tensor1d(seededValues(seed + i, length)));
        const attrs = { axis: 0 } as unknown as tf.NamedAttrMap;
        let widest = 0;
        const counting: tf.KernelFunc = (args) => {
          widest = Math.max(widest, (args.inputs as unknown as unknown[]).length);
          return stock(args);
        };
        const backend = limited(buffers);
        const grouped = make(counting)({ inputs: inputs as unknown as tf.NamedTensorInfoMap, attrs, backend }) as tf.TensorInfo;
        const plain = stock({ inputs: inputs as unknown as tf.NamedTensorInfoMap, attrs, backend: tf.backend() }) as tf.TensorInfo;
        const [a, b] = [tf.engine().makeTensorFromTensorInfo(grouped), tf.engine().makeTensorFromTensorInfo(plain)];
        expect(a.shape).toEqual(b.shape);
        const [x, y] = [a.dataSync(), b.dataSync()];
        for (let i = 0; i < y.length; i++) expect(Math.abs((x[i] as number) - (y[i] as number))).toBeLessThanOrEqual(1e-5 * count);
        expect(widest).toBeLessThanOrEqual(buffers - 1);
        tf.dispose([a, b, ...inputs]);
        // Only the inputs' and the two results' data existed: the partial sums were freed.
        expect(tf.memory().numTensors).toBe(before);
        expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
      }),
      { numRuns: 60, seed: 4 },
    );
  });
}

/**
 * Selects wasm with the thread count given on the command line, runs a seeded conv training
 * step and a matrix product, and prints the results as one JSON line. Run in its own process:
 * the thread pool is fixed when the wasm backend first starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../selection/select-backend';
import { engineValidatesRelaxedSimd, nativeKernels } from '../native/native-kernels';

const threads = Number(process.argv[2] ?? 2);
// Whether this Node validates relaxed SIMD before and after training through the library.
const relaxedBefore = engineValidatesRelaxedSimd();
const selection = await selectBackend({ prefer: 'wasm', wasmThreads: threads });
const x = tf.randomNormal([4, 20, 20, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
const filter = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
const a = tf.randomNormal([300, 200], 0, 1, 'float32', 3);
const b = tf.randomNormal([200, 500], 0, 1, 'float32', 4);
const [dx, dw] = tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, 2, 'same'))))([x, filter]);
const product = tf.matMul(a, b);
const dxValues = Array.from(await dx!.data());
const dwValues = Array.from(await dw!.data());
const productValues = Array.from(await product.data());
const native = nativeKernels(tf.backend());
await selection.release();
console.log(
  JSON.stringify({
    backend: selection.chosen,
    reason: selection.candidates.find((c) => c.status === 'chosen')?.reason,
    threads: getThreadsCount(),
    relaxedBefore,
    relaxedAfter: engineValidatesRelaxedSimd(),
    nativeRelaxed: native?.relaxedSimd ?? null,
    execArgv: process.execArgv,
    tmpdir: (await import('node:os')).tmpdir(),
    dx: dxValues,
    dw: dwValues,
    product: productValues,
  }),
);

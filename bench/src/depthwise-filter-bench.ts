import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@arcface/backend';

/**
 * Times the filter-gradient kernels on wasm at the shapes MobileFaceNet (depthwise) and
 * MobileFaceNet's stem / iResNet-18 (regular convolution) train with, at batch 64 and 16.
 * Median of `REPS` calls after one warm-up; GB/s counts one read of x, the kernel's
 * unavoidable traffic, so it compares layers of different sizes.
 *
 *   cd bench && npx tsx --conditions=@arcface/source src/depthwise-filter-bench.ts [batch…] [--reps N] [--conv]
 */

interface Shape {
  readonly label: string;
  readonly x: readonly [number, number, number]; // H, W, C
  readonly k: number;
  readonly stride: number;
  readonly pad: number | 'valid';
  /** Depthwise: the channel multiplier; regular convolution: output channels. */
  readonly out: number;
}

const DEPTHWISE: readonly Shape[] = [
  { label: '56×56×64 3×3 s1', x: [56, 56, 64], k: 3, stride: 1, pad: 1, out: 1 },
  { label: '56×56×128 3×3 s2', x: [56, 56, 128], k: 3, stride: 2, pad: 1, out: 1 },
  { label: '28×28×128 3×3 s1', x: [28, 28, 128], k: 3, stride: 1, pad: 1, out: 1 },
  { label: '28×28×256 3×3 s2', x: [28, 28, 256], k: 3, stride: 2, pad: 1, out: 1 },
  { label: '14×14×256 3×3 s1', x: [14, 14, 256], k: 3, stride: 1, pad: 1, out: 1 },
  { label: '14×14×512 3×3 s2', x: [14, 14, 512], k: 3, stride: 2, pad: 1, out: 1 },
  { label: '7×7×512 7×7 valid', x: [7, 7, 512], k: 7, stride: 1, pad: 'valid', out: 1 },
];

const CONV: readonly Shape[] = [
  { label: 'stem 112×112×3→64 3×3 s2', x: [112, 112, 3], k: 3, stride: 2, pad: 1, out: 64 },
  { label: '112×112×64→64 3×3 s1', x: [112, 112, 64], k: 3, stride: 1, pad: 1, out: 64 },
  { label: '56×56×64→64 3×3 s2', x: [56, 56, 64], k: 3, stride: 2, pad: 1, out: 64 },
  { label: '28×28×128→128 3×3 s1', x: [28, 28, 128], k: 3, stride: 1, pad: 1, out: 128 },
  { label: '14×14×256→256 3×3 s1', x: [14, 14, 256], k: 3, stride: 1, pad: 1, out: 256 },
];

function parseArgs(argv: readonly string[]): { batches: number[]; reps: number; conv: boolean } {
  const batches: number[] = [];
  let reps = 5;
  let conv = false;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === '--reps') reps = Number(argv[++k]);
    else if (arg === '--conv') conv = true;
    else batches.push(Number(arg));
  }
  return { batches: batches.length > 0 ? batches : [64, 16], reps, conv };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeKernel(kernel: string, shape: Shape, batch: number, reps: number): Promise<{ ms: number; gbPerS: number }> {
  const depthwise = kernel === tf.DepthwiseConv2dNativeBackpropFilter;
  const [h, w, c] = shape.x;
  const filterShape: [number, number, number, number] = [shape.k, shape.k, c, shape.out];
  const info = tf.backend_util.computeConv2DInfo([batch, h, w, c], filterShape, shape.stride, 1, shape.pad, undefined, depthwise);
  const x = tf.randomNormal([batch, h, w, c]);
  const dy = tf.randomNormal([batch, info.outHeight, info.outWidth, info.outChannels]);
  const attrs = { strides: shape.stride, dilations: 1, pad: shape.pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap;
  const once = async (): Promise<number> => {
    const started = performance.now();
    const dw = tf.engine().runKernel(kernel, { x, dy }, attrs) as tf.Tensor;
    await dw.data();
    const ms = performance.now() - started;
    dw.dispose();
    return ms;
  };
  try {
    await once();
    const times: number[] = [];
    for (let r = 0; r < reps; r++) times.push(await once());
    const ms = median(times);
    return { ms, gbPerS: (x.size * 4) / 1e9 / (ms / 1e3) };
  } finally {
    tf.dispose([x, dy]);
  }
}

async function main(): Promise<void> {
  const { batches, reps, conv } = parseArgs(process.argv.slice(2));
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  const groups: Array<[string, readonly Shape[]]> = [[tf.DepthwiseConv2dNativeBackpropFilter, DEPTHWISE]];
  if (conv) groups.push([tf.Conv2DBackpropFilter, CONV]);
  for (const [kernel, shapes] of groups) {
    for (const batch of batches) {
      console.log(`\n${kernel} on wasm, batch ${batch}, median of ${reps}`);
      for (const shape of shapes) {
        const { ms, gbPerS } = await timeKernel(kernel, shape, batch, reps);
        console.log(`  ${shape.label.padEnd(28)} ${ms.toFixed(1).padStart(9)} ms  ${gbPerS.toFixed(2).padStart(6)} GB/s`);
      }
    }
  }
  const leftover = tf.memory().numTensors;
  if (leftover > 0) console.log(`\n${leftover} tensors still allocated`);
}

await main();

import * as tf from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/** Kernels of this package (wasm only) behind the PReLU gradient below. */
export const PRELU_INPUT_GRADIENT = 'ArcfacePreluInputGradient';
export const PRELU_SLOPE_GRADIENT = 'ArcfacePreluSlopeGradient';

/** Channels when α is one slope per channel of x's last axis (or one slope), else undefined. */
function channelsOf(x: readonly number[], alpha: readonly number[]): number | undefined {
  const size = alpha.reduce((n, d) => n * d, 1);
  if (size === 1) return 1;
  const last = x[x.length - 1] as number;
  return alpha[alpha.length - 1] === last && size === last && alpha.length <= x.length ? last : undefined;
}

/**
 * PReLU's gradient, y = x for x > 0 and α·x otherwise, per channel c of the last axis:
 *
 *   ∂x = dy where x > 0, α_c·dy elsewhere;   ∂α_c = Σ_{x ≤ 0} dy·x
 *
 * On wasm with one slope per channel (every PReLU of the backbones), each is one pass over x
 * and dy on the heap. tfjs' gradient builds a mask, a zeros tensor, two products, two selects
 * and a reduction: ~330 ms and six activation-sized temporaries for one [16, 112, 112, 64]
 * PReLU, at the peak of an iResNet training step. Elsewhere the same formula runs as tfjs ops.
 */
export const preluGradient: tf.GradConfig = {
  kernelName: tf.Prelu,
  inputsToSave: ['x', 'alpha'],
  gradFunc: (dy, saved) => {
    const grad = dy as tf.Tensor;
    const [x, alpha] = saved as [tf.Tensor, tf.Tensor];
    const fused = tf.getBackend() === 'wasm' && x.dtype === 'float32' && channelsOf(x.shape, alpha.shape) !== undefined;
    return {
      x: () => (fused ? (tf.engine().runKernel(PRELU_INPUT_GRADIENT, { x, alpha, dy: grad }) as tf.Tensor) : tf.where(tf.greater(x, 0), grad, tf.mul(grad, alpha))),
      alpha: () => {
        if (fused) return tf.engine().runKernel(PRELU_SLOPE_GRADIENT, { x, alpha, dy: grad }) as tf.Tensor;
        const perElement = tf.where(tf.greater(x, 0), tf.zerosLike(grad), tf.mul(grad, x));
        const axes = tf.backend_util.getReductionAxes(alpha.shape, grad.shape);
        return tf.reshape(axes.length > 0 ? tf.sum(perElement, axes) : perElement, alpha.shape);
      },
    };
  },
};

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown };

function heapViews(args: KernelArgs, outShape: number[]) {
  const backend = args.backend as WasmHeapBackend;
  const { x, alpha, dy } = args.inputs as { x: tf.TensorInfo; alpha: tf.TensorInfo; dy: tf.TensorInfo };
  const out = backend.makeOutput(outShape, 'float32');
  // Views after makeOutput, which may grow the heap.
  return {
    out,
    channels: channelsOf(x.shape, alpha.shape) as number,
    target: backend.typedArrayFromHeap(out) as Float32Array,
    x: backend.typedArrayFromHeap(x) as Float32Array,
    alpha: backend.typedArrayFromHeap(alpha) as Float32Array,
    dy: backend.typedArrayFromHeap(dy) as Float32Array,
  };
}

/**
 * 1 where the float32 with these bits is > 0, else 0 (±0 and negatives), without a branch:
 * activations' signs are random, and a branch per element mispredicted half the time
 * (~10 against ~3.5 ns per element).
 */
/**
 * The output and the heap addresses for the native kernels, or undefined where they do not
 * run or the slopes are too few to fill a vector (a single shared slope: the loops below).
 */
function onNative(args: KernelArgs, outShape: number[]) {
  const backend = args.backend as tf.KernelBackend;
  const { x, alpha, dy } = args.inputs as { x: tf.TensorInfo; alpha: tf.TensorInfo; dy: tf.TensorInfo };
  const channels = channelsOf(x.shape, alpha.shape) as number;
  const kernels = channels >= 4 ? nativeKernels(backend) : undefined;
  if (kernels === undefined) return undefined;
  const out = (args.backend as WasmHeapBackend).makeOutput(outShape, 'float32');
  const addresses = { x: heapAddress(backend, x), alpha: heapAddress(backend, alpha), dy: heapAddress(backend, dy), out: heapAddress(backend, out) };
  return { kernels, out, addresses, channels, rows: tf.util.sizeFromShape(x.shape) / channels };
}

function positive(bits: number): number {
  return ((((bits - 1) | 0) >>> 31) ^ 1) & (~bits >>> 31);
}

/** ∂x, x's shape: dy times a slope looked up per channel, [α_c, 1][x > 0] (exact: α·dy rounds once, as tfjs' multiply). */
export function preluInputGradient(args: KernelArgs): tf.TensorInfo {
  const { x: xInfo } = args.inputs as { x: tf.TensorInfo };
  const native = onNative(args, xInfo.shape.slice());
  if (native !== undefined) {
    native.kernels.preluInputGradient({ ...native.addresses, cols: native.channels, rows: native.rows });
    return native.out;
  }
  const { out, channels, target, x, alpha, dy } = heapViews(args, xInfo.shape.slice());
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const slopes = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    slopes[2 * c] = alpha[c] as number;
    slopes[2 * c + 1] = 1;
  }
  for (let base = 0; base < bits.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const i = base + c;
      target[i] = (dy[i] as number) * (slopes[(c << 1) | positive(bits[i] as number)] as number);
    }
  }
  return out;
}

/** ∂α, α's shape, summed in float64. */
export function preluSlopeGradient(args: KernelArgs): tf.TensorInfo {
  const { alpha: alphaInfo } = args.inputs as { alpha: tf.TensorInfo };
  const native = onNative(args, alphaInfo.shape.slice());
  if (native !== undefined) {
    native.kernels.preluSlopeGradient({ ...native.addresses, cols: native.channels, rows: native.rows });
    return native.out;
  }
  const { out, channels, target, x, dy } = heapViews(args, alphaInfo.shape.slice());
  const sums = new Float64Array(channels);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const i = base + c;
      // min(x, 0)·dy is x·dy where x ≤ 0 and 0 elsewhere (x = +∞ included), without a branch.
      sums[c] = (sums[c] as number) + Math.min(x[i] as number, 0) * (dy[i] as number);
    }
  }
  target.set(sums);
  return out;
}

import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from '../conv/conv-geometry';
import type { WasmHeapBackend } from './fast-transpose';
import { heapAddress, nativeKernels } from './native/native-kernels';

/** Input channels below which XNNPACK keeps a convolution: an RGB stem has 3 multiply-adds per tap and tile. */
const MIN_INPUT_CHANNELS = 8;

interface ConvKernelAttributes {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: string;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

/**
 * Geometries the stock kernel gets wrong (tfjs-backend-wasm 4.22): unequal strides, or padding
 * heavier on one side (an even filter with 'same'). x [1, 4, 2, C] ⋆ [1, 2, C, 1], strides
 * [2, 1], 'same' differed from the cpu backend by up to 1.6. These stay native at any width.
 */
function stockMisreads(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  return info.strideHeight !== info.strideWidth || top !== bottom || left !== right;
}

/** Whether a bias or PReLU slope is one per output channel (or one for all): what the kernel reads. */
function perChannel(info: tf.TensorInfo, channels: number): boolean {
  const size = tf.util.sizeFromShape(info.shape);
  return info.dtype === 'float32' && (size === channels || size === 1);
}

/** That vector as [channels] floats on the heap. */
function channelVector(info: tf.TensorInfo, channels: number): tf.Tensor {
  return tf.tidy(() => tf.broadcastTo(tf.reshape(asTensor(info), [-1]), [channels]));
}

/**
 * `Conv2D` / `FusedConv2D` for wasm on the native kernels: NHWC, float32, at least
 * {@link MIN_INPUT_CHANNELS} input channels (or any, where the stock kernel {@link stockMisreads}
 * the geometry), an optional bias and a linear, ReLU or PReLU activation (per channel).
 * Anything else goes to the stock (XNNPACK) kernel. The native
 * convolution multiply-adds with relaxed SIMD where the engine has it (XNNPACK in tfjs 4.22
 * is built without): iResNet-18's 3×3 layers ran at 34–36 GFLOP/s on XNNPACK with two threads.
 */
export function makeNativeConv2D(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    const attrs = args.attrs as unknown as ConvKernelAttributes;
    const activation = attrs.activation ?? 'linear';
    const nhwc = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC' || attrs.dataFormat === 'channelsLast';
    const supported =
      nhwc &&
      x.dtype === 'float32' &&
      filter.dtype === 'float32' &&
      x.shape.length === 4 &&
      (activation === 'linear' || activation === 'relu' || activation === 'prelu');
    const biasInput = args.inputs.bias as tf.TensorInfo | undefined;
    const slopeInput = args.inputs.preluActivationWeights as tf.TensorInfo | undefined;
    const channels = filter.shape[3] as number;
    const vectorsFit =
      (biasInput === undefined || perChannel(biasInput, channels)) && (activation !== 'prelu' || (slopeInput !== undefined && perChannel(slopeInput, channels)));
    const native = supported && vectorsFit ? nativeKernels(args.backend as tf.KernelBackend) : undefined;
    if (native === undefined) return original(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    if ((x.shape[3] as number) < MIN_INPUT_CHANNELS && !stockMisreads(info)) return original(args);
    const backend = args.backend as tf.KernelBackend;
    const heap = backend as unknown as WasmHeapBackend;
    const bias = biasInput === undefined ? undefined : channelVector(biasInput, channels);
    // ReLU is PReLU with slope 0.
    const slope = activation === 'relu' ? tf.zeros([channels]) : activation === 'prelu' ? channelVector(slopeInput as tf.TensorInfo, channels) : undefined;
    const out = heap.makeOutput([info.batchSize, info.outHeight, info.outWidth, channels], 'float32');
    const scratch = heap.makeOutput([tf.util.sizeFromShape(filter.shape)], 'float32');
    try {
      native.conv2dForward({
        x: heapAddress(backend, x),
        filter: heapAddress(backend, filter),
        bias: bias === undefined ? 0 : heapAddress(backend, bias),
        slope: slope === undefined ? 0 : heapAddress(backend, slope),
        out: heapAddress(backend, out),
        scratch: heapAddress(backend, scratch),
        info,
      });
    } finally {
      backend.disposeData(scratch.dataId);
      tf.dispose([bias, slope].filter((t): t is tf.Tensor => t !== undefined));
    }
    return out;
  };
}

import * as tf from '@tensorflow/tfjs-core';
import { elementView, type WasmHeapBackend } from './fast-transpose';

/** The rows (or columns) of x that meet filter taps a ≡ residue (mod stride), along one axis. */
interface AxisPhase {
  /** Taps a = residue, residue + s, … below the filter size, in increasing order. */
  readonly taps: readonly number[];
  /** The first dy index t of the phase: x index h = residue − pad + s·t. */
  readonly firstT: number;
  /** How many x indices the phase has. */
  readonly count: number;
  /** The x index of its first element. */
  readonly first: number;
}

/** Phases of one axis of a convolution with stride s > 1 over `size` inputs, `pad` before them. */
function axisPhases(size: number, taps: number, stride: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let residue = 0; residue < stride; residue++) {
    const firstT = Math.ceil((pad - residue) / stride);
    const lastT = Math.floor((size - 1 + pad - residue) / stride);
    if (lastT < firstT) continue;
    const list: number[] = [];
    for (let a = residue; a < taps; a += stride) list.push(a);
    phases.push({ taps: list, firstT, count: lastT - firstT + 1, first: residue - pad + stride * firstT });
  }
  return phases;
}

/**
 * ∂L/∂x of a strided 2-D convolution, phase by phase. With stride s, an input row h meets only
 * the taps a ≡ h + pad (mod s), so the rows of one residue are a stride-1 correlation of dy with
 * those taps alone:
 *
 *   dx[first + s·τ] = Σ_q dy[firstT + τ − q] · W[residue + q·s]
 *
 * s² small convolutions (per row and column residue) cost what the gradient needs, where
 * correlating the zero-spread dy with the whole filter multiplies s² times as much, mostly by
 * zeros, and keeps the spread and padded copies of dy (two x-sized tensors) alive. Each phase is
 * written into its strided place in dx on the heap and freed.
 */
export function phaseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, backend: WasmHeapBackend): tf.Tensor4D {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const rows = axisPhases(inHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = axisPhases(inWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const out = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  const dx = tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor4D;
  // Rows and columns whose phase has no tap get no gradient.
  (elementView(backend, out) as Int32Array).fill(0);
  for (const row of rows) {
    for (const col of cols) {
      if (row.taps.length === 0 || col.taps.length === 0) continue;
      const phase = tf.tidy(() => phaseConvolution(dy, filter, row, col, outHeight, outWidth));
      scatterPhase(backend, phase, dx, row, col, info.strideHeight, info.strideWidth);
      phase.dispose();
    }
  }
  return dx;
}

/** One phase: dy (cropped or zero-padded to the rows the phase reads) ⋆ its taps, flipped, channels swapped. */
function phaseConvolution(dy: tf.Tensor4D, filter: tf.Tensor4D, row: AxisPhase, col: AxisPhase, outHeight: number, outWidth: number): tf.Tensor4D {
  const window = (phase: AxisPhase, size: number) => {
    const start = phase.firstT - (phase.taps.length - 1);
    const end = phase.firstT + phase.count - 1;
    return { begin: Math.max(start, 0), size: Math.max(Math.min(end, size - 1) - Math.max(start, 0) + 1, 0), before: Math.max(-start, 0), after: Math.max(end - (size - 1), 0) };
  };
  const r = window(row, outHeight);
  const c = window(col, outWidth);
  const [n, , , cout] = dy.shape;
  const taps = (phase: AxisPhase) => tf.tensor1d([...phase.taps].reverse(), 'int32');
  const sub = tf.transpose(tf.gather(tf.gather(filter, taps(row), 0), taps(col), 1), [0, 1, 3, 2]) as tf.Tensor4D;
  if (r.size === 0 || c.size === 0) {
    // Every dy the phase reads is padding: its rows of dx are zero.
    return tf.zeros([n, row.count, col.count, filter.shape[2]]);
  }
  const read = tf.slice(dy, [0, r.begin, c.begin, 0], [n, r.size, c.size, cout]);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [r.before, r.after],
    [c.before, c.after],
    [0, 0],
  ];
  return tf.conv2d(read, sub, 1, pad);
}

/** dx[:, first_r + s·τ, first_c + s·υ, :] = phase[:, τ, υ, :], as runs of channels on the heap. */
function scatterPhase(backend: WasmHeapBackend, phase: tf.Tensor4D, dx: tf.Tensor4D, row: AxisPhase, col: AxisPhase, strideH: number, strideW: number): void {
  const target = backend.typedArrayFromHeap(dx) as Float32Array;
  const source = backend.typedArrayFromHeap(phase) as Float32Array;
  const [n, height, width, channels] = dx.shape;
  let from = 0;
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < row.count; t++) {
      let to = ((b * height + row.first + strideH * t) * width + col.first) * channels;
      for (let u = 0; u < col.count; u++) {
        target.set(source.subarray(from, from + channels), to);
        from += channels;
        to += strideW * channels;
      }
    }
  }
}

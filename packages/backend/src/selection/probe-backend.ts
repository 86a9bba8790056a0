import * as tf from '@tensorflow/tfjs-core';

/** 'same' padding of a 3×3 filter at stride 1: one pixel on each side. */
const PAD = 1;
const K = 3;

interface Shape4 {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

/**
 * Small integers with no symmetry: no two taps of the filter are equal under a flip or a
 * transpose of its spatial axes, so a kernel that flips, transposes or mis-strides the filter
 * gives different numbers. Integers keep every product and sum exact in float32.
 */
function pattern(length: number, multiplier: number, modulus: number, offset: number): number[] {
  return Array.from({ length }, (_, i) => ((i * multiplier + offset) % modulus) - (modulus >> 1));
}

const at = (s: Shape4, b: number, i: number, j: number, c: number): number => ((b * s.h + i) * s.w + j) * s.c + c;

/**
 * The three convolution kernels of a training step in float64, written out as TF.js defines
 * them (cross-correlation, NHWC, filter [kh, kw, in, out], 'same' padding at stride 1):
 * y[b,i,j,o] = Σ x[b, i+kh−1, j+kw−1, c]·f[kh,kw,c,o]; ∂x and ∂W follow from it.
 */
function reference(x: number[], xs: Shape4, f: number[], out: number, dy: number[]): { y: number[]; dx: number[]; dw: number[] } {
  const ys: Shape4 = { ...xs, c: out };
  const y = new Array<number>(xs.b * xs.h * xs.w * out).fill(0);
  const dx = new Array<number>(x.length).fill(0);
  const dw = new Array<number>(f.length).fill(0);
  const tap = (kh: number, kw: number, c: number, o: number): number => ((kh * K + kw) * xs.c + c) * out + o;
  for (let b = 0; b < xs.b; b++)
    for (let i = 0; i < xs.h; i++)
      for (let j = 0; j < xs.w; j++)
        for (let kh = 0; kh < K; kh++)
          for (let kw = 0; kw < K; kw++) {
            const si = i + kh - PAD;
            const sj = j + kw - PAD;
            if (si < 0 || si >= xs.h || sj < 0 || sj >= xs.w) continue;
            for (let c = 0; c < xs.c; c++)
              for (let o = 0; o < out; o++) {
                const xi = at(xs, b, si, sj, c);
                const yi = at(ys, b, i, j, o);
                const t = tap(kh, kw, c, o);
                y[yi]! += x[xi]! * f[t]!;
                dx[xi]! += dy[yi]! * f[t]!;
                dw[t]! += x[xi]! * dy[yi]!;
              }
          }
  return { y, dx, dw };
}

function firstMismatch(what: string, got: Float32Array | Int32Array | Uint8Array, want: number[]): string | undefined {
  if (got.length !== want.length) return `probe: ${what} has ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    if (!Number.isFinite(g) || Math.abs(g - w) > 1e-3 * Math.max(1, Math.abs(w))) {
      return `probe: ${what} at flat index ${i} is ${g}, expected ${w} (a flipped, transposed or misplaced filter tap gives this)`;
    }
  }
  return undefined;
}

/**
 * Runs a tiny convolution training step on the active backend, kernel by kernel (so no
 * gradient registry is needed): the forward conv, ∂W and ∂x, then a weight update, and
 * checks the numbers. Reads with `await data()`: `dataSync` fails on WebGPU in Node.
 * Throws with what went wrong.
 *
 * Two parts. First, x = 1 and dy = 1 on a 5×5 'same' convolution with a constant filter: the
 * centre tap's filter gradient is the pixel count, 25, and a corner tap's is 16 (4 × 4 pixels
 * have a neighbour there) — sums that catch wrong padding and sign. Constant data cannot see
 * the orientation of a filter, so the second part runs the same three kernels on a 4×5 input
 * and a 3×3 filter of distinct integers and compares every value with a float64 reference:
 * a flipped (true convolution) or transposed filter, or a ∂x computed with the unrotated
 * filter, changes them.
 */
export async function probeBackend(): Promise<void> {
  await probeSums();
  await probeOrientation();
}

async function probeSums(): Promise<void> {
  const result = tf.tidy(() => {
    const x = tf.ones([2, 5, 5, 2]);
    const filter = tf.fill([3, 3, 2, 3], 0.5);
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
    const dy = tf.onesLike(y);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: [3, 3, 2, 3] }) as tf.Tensor;
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: [2, 5, 5, 2] }) as tf.Tensor;
    const updated = tf.sub(filter, tf.mul(tf.scalar(0.01), dw));
    return tf.stack([tf.sum(y), tf.sum(dx), tf.reshape(tf.slice(dw, [1, 1, 0, 0], [1, 1, 1, 1]), []), tf.reshape(tf.slice(dw, [0, 0, 0, 0], [1, 1, 1, 1]), []), tf.sum(updated)]);
  });
  const [ySum, dxSum, centre, corner, updatedSum] = Array.from(await result.data());
  result.dispose();
  // Σy: each output sees (taps inside the image) × 2 channels × 0.5. Along one axis of 5
  // pixels the taps inside are 2, 3, 3, 3, 2 (13 in all), so over 5×5 they sum to 13² = 169.
  const expected: Array<[string, number | undefined, number]> = [
    ['Σ conv2d', ySum, 2 * 3 * 169 * 2 * 0.5],
    ['Σ ∂x', dxSum, 2 * 2 * 169 * 3 * 0.5],
    ['∂W centre tap (per batch: 25 pixels)', centre, 2 * 25],
    ['∂W corner tap (per batch: 16 pixels)', corner, 2 * 16],
    ['Σ updated filter', updatedSum, 54 * 0.5 - 0.01 * 2 * 169 * 2 * 3],
  ];
  for (const [what, got, want] of expected) {
    if (got === undefined || !Number.isFinite(got) || Math.abs(got - want) > 1e-3 * Math.abs(want)) {
      throw new Error(`probe: ${what} is ${got}, expected ${want}`);
    }
  }
}

async function probeOrientation(): Promise<void> {
  const xs: Shape4 = { b: 1, h: 4, w: 5, c: 2 };
  const out = 2;
  const x = pattern(xs.b * xs.h * xs.w * xs.c, 7, 11, 3);
  const f = pattern(K * K * xs.c * out, 5, 13, 1);
  const dy = pattern(xs.b * xs.h * xs.w * out, 3, 7, 2);
  const want = reference(x, xs, f, out, dy);
  const [y, dx, dw] = tf.tidy(() => {
    const xt = tf.tensor4d(x, [xs.b, xs.h, xs.w, xs.c]);
    const ft = tf.tensor4d(f, [K, K, xs.c, out]);
    const dyt = tf.tensor4d(dy, [xs.b, xs.h, xs.w, out]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    return [
      tf.conv2d(xt, ft, 1, 'same'),
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyt, filter: ft }, { ...attrs, inputShape: [xs.b, xs.h, xs.w, xs.c] }) as tf.Tensor,
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt, dy: dyt }, { ...attrs, filterShape: [K, K, xs.c, out] }) as tf.Tensor,
    ];
  });
  try {
    const problem =
      firstMismatch('conv2d of a 3×3 filter of distinct values', await y.data(), want.y) ??
      firstMismatch('∂x of that conv2d', await dx.data(), want.dx) ??
      firstMismatch('∂W of that conv2d', await dw.data(), want.dw);
    if (problem !== undefined) throw new Error(problem);
  } finally {
    tf.dispose([y, dx, dw]);
  }
}

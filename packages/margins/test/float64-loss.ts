// A float64 margin softmax loss written element by element, with no tensors: the reference the
// general (autodiff) loss path is checked against, with central differences for its gradients.

export type Matrix = number[][];

/** ‖x‖ of each row. */
export function rowNorms(x: Matrix): number[] {
  return x.map((row) => Math.sqrt(row.reduce((a, v) => a + v * v, 0)));
}

/** Cosines between the rows of x and the rows of w, both L2-normalised. */
export function cosineRows(x: Matrix, w: Matrix): Matrix {
  const unit = (m: Matrix) => m.map((row, i) => row.map((v) => v / (rowNorms(m)[i] as number)));
  const [a, b] = [unit(x), unit(w)];
  return a.map((r) => b.map((q) => r.reduce((acc, v, k) => acc + v * (q[k] as number), 0)));
}

/** Mean softmax cross-entropy of logits against labels (log-sum-exp shifted by the row max). */
export function softmaxCrossEntropy(logits: Matrix, labels: readonly number[]): number {
  let total = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
    total += lse - (row[labels[i] as number] as number);
  });
  return total / logits.length;
}

/** Central differences of a scalar function of a matrix. */
export function numericGradient(f: (x: Matrix) => number, x: Matrix, h = 1e-6): Matrix {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => [...r]);
      const minus = x.map((r) => [...r]);
      (plus[i] as number[])[j] = (row[j] as number) + h;
      (minus[i] as number[])[j] = (row[j] as number) - h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}

/** A [rows, cols] matrix of uniform values in [lo, hi] from a seeded generator (mulberry32). */
export function randomMatrix(seed: number, rows: number, cols: number, lo = -1, hi = 1): Matrix {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => lo + (hi - lo) * next()));
}

/** max |a − e| / max |e| over a whole matrix. */
export function matrixRelativeError(actual: ArrayLike<number>, expected: Matrix): number {
  const flat = expected.flat();
  const scale = Math.max(...flat.map(Math.abs));
  let worst = 0;
  flat.forEach((e, i) => {
    worst = Math.max(worst, Math.abs((actual[i] as number) - e));
  });
  return worst / scale;
}

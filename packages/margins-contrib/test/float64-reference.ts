// Float64 references written from each paper's formula (and the authors' released code where the
// paper leaves a detail open), element by element, with no tensors. The tensor implementations
// in src/ are checked against these.

export type Matrix = number[][];

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/** cos(θ + m) by the angle-sum identity, as the 2018–2022 insightface code writes it. */
export function cosPlus(c: number, m: number): number {
  const sin = Math.sqrt(Math.max(0, 1 - c * c));
  return c * Math.cos(m) - sin * Math.sin(m);
}

/** ArcFace target with a boundary: 'none' (paper Eq. 3), 'easy', 'thmm' (th = cos(π − m), mm = sin(π − m)·m). */
export function arcTarget(c: number, m: number, boundary: 'none' | 'easy' | 'thmm'): number {
  const phi = cosPlus(c, m);
  if (boundary === 'easy') return c > 0 ? phi : c;
  if (boundary === 'thmm') return c > Math.cos(Math.PI - m) ? phi : c - Math.sin(Math.PI - m) * m;
  return phi;
}

function mapTargets(cos: Matrix, labels: number[], fn: (c: number, row: number) => number, s: number): Matrix {
  return cos.map((row, i) => row.map((c, j) => s * (j === labels[i] ? fn(c, i) : c)));
}

/** AdaFace, `head.py`: returns the logits and the updated running statistics. */
export function adaFaceReference(
  cos: Matrix,
  labels: number[],
  norms: number[],
  o: { m: number; h: number; s: number; tAlpha: number; mean: number; std: number; eps: number; training: boolean },
): { logits: Matrix; mean: number; std: number } {
  const safe = norms.map((n) => clamp(n, 0.001, 100));
  let { mean, std } = o;
  if (o.training) {
    const mu = safe.reduce((a, b) => a + b, 0) / safe.length;
    const variance = safe.length > 1 ? safe.reduce((a, b) => a + (b - mu) ** 2, 0) / (safe.length - 1) : 0;
    mean = o.tAlpha * mu + (1 - o.tAlpha) * mean;
    std = o.tAlpha * Math.sqrt(variance) + (1 - o.tAlpha) * std;
  }
  // head.py clamps the whole cosine matrix to ±(1 − ε), takes acos of every entry, adds the
  // angular margin on the target column, clips θ to [ε, π − ε], takes cos and subtracts the
  // additive margin on the target column.
  const logits = cos.map((row, i) => {
    const scaler = clamp(((safe[i] as number) - mean) / (std + o.eps) * o.h, -1, 1);
    return row.map((raw, j) => {
      const c = clamp(raw, -1 + o.eps, 1 - o.eps);
      const isTarget = j === labels[i];
      const gAngular = isTarget ? -o.m * scaler : 0;
      const gAdditive = isTarget ? o.m + o.m * scaler : 0;
      const theta = clamp(Math.acos(c) + gAngular, o.eps, Math.PI - o.eps);
      return o.s * (Math.cos(theta) - gAdditive);
    });
  });
  return { logits, mean, std };
}

/** CurricularFace, `head/metrics.py`: t is updated before the negatives are modulated. */
export function curricularFaceReference(
  cos: Matrix,
  labels: number[],
  o: { m: number; s: number; momentum: number; t: number; training: boolean },
): { logits: Matrix; t: number } {
  const targets = cos.map((row, i) => clamp(row[labels[i] as number] as number, -1, 1));
  const t = o.training ? (targets.reduce((a, b) => a + b, 0) / targets.length) * o.momentum + (1 - o.momentum) * o.t : o.t;
  const logits = cos.map((row, i) => {
    const cy = targets[i] as number;
    const cosThetaM = cosPlus(cy, o.m);
    return row.map((raw, j) => {
      const c = clamp(raw, -1, 1);
      if (j === labels[i]) return o.s * arcTarget(cy, o.m, 'thmm');
      return o.s * (c > cosThetaM ? c * (t + c) : c);
    });
  });
  return { logits, t };
}

/** MagFace, `MagLinear` + `run/trainer.py`: logits and the regulariser λ_g·mean(a/u_a² + 1/a). */
export function magFaceReference(
  cos: Matrix,
  labels: number[],
  norms: number[],
  o: { la: number; ua: number; lm: number; um: number; lambdaG: number; s: number; boundary: 'easy' | 'thmm' | 'none' },
): { logits: Matrix; regularizer: number } {
  const a = norms.map((n) => clamp(n, o.la, o.ua));
  const margin = a.map((x) => ((o.um - o.lm) / (o.ua - o.la)) * (x - o.la) + o.lm);
  const logits = mapTargets(cos, labels, (c, i) => arcTarget(clamp(c, -1, 1), margin[i] as number, o.boundary), o.s);
  const g = a.map((x) => x / (o.ua * o.ua) + 1 / x);
  return { logits, regularizer: (o.lambdaG * g.reduce((x, y) => x + y, 0)) / g.length };
}

/** Sub-center ArcFace: columns c·K … c·K + K − 1 belong to class c; max over them, then ArcFace. */
export function subcenterReference(cos: Matrix, labels: number[], o: { k: number; m: number; s: number; boundary: 'thmm' | 'none' | 'easy' }): Matrix {
  const pooled = cos.map((row) => {
    const out: number[] = [];
    for (let c = 0; c < row.length / o.k; c += 1) out.push(Math.max(...row.slice(c * o.k, (c + 1) * o.k).map((x) => clamp(x, -1, 1))));
    return out;
  });
  return mapTargets(pooled, labels, (c) => arcTarget(c, o.m, o.boundary), o.s);
}

/** ElasticFace with given per-sample margins: arc cos(θ + m_i) (no threshold) or cos θ − m_i. */
export function elasticReference(cos: Matrix, labels: number[], margins: number[], o: { variant: 'arc' | 'cos'; s: number }): Matrix {
  return mapTargets(
    cos,
    labels,
    (raw, i) => {
      const c = clamp(raw, -1, 1);
      return o.variant === 'arc' ? Math.cos(Math.acos(c) + (margins[i] as number)) : c - (margins[i] as number);
    },
    o.s,
  );
}

/**
 * ElasticFace+'s re-assignment of margins by target cosines, written from `utils/losses.py`
 * (`plus=True`): the rows ordered by target cosine, highest first (ties: the lower row first),
 * the margins sorted ascending; 'authors' gives row i the sorted margin at position order[i]
 * (the gather `margin[idicate_cosie]`), 'rank' gives row order[k] the k-th smallest margin.
 */
export function elasticPlusMargins(targets: number[], margins: number[], rule: 'authors' | 'rank'): number[] {
  const order = targets.map((_, i) => i).sort((a, b) => (targets[b] as number) - (targets[a] as number) || a - b);
  const sorted = [...margins].sort((a, b) => a - b);
  const out = new Array<number>(margins.length);
  order.forEach((row, k) => {
    if (rule === 'authors') out[k] = sorted[row] as number;
    else out[row] = sorted[k] as number;
  });
  return out;
}

/** ElasticFace+ in float64: {@link elasticPlusMargins} on the clamped target cosines, then {@link elasticReference}. */
export function elasticPlusReference(
  cos: Matrix,
  labels: number[],
  margins: number[],
  o: { variant: 'arc' | 'cos'; s: number; rule: 'authors' | 'rank' },
): { logits: Matrix; assigned: number[] } {
  const targets = cos.map((row, i) => clamp(row[labels[i] as number] as number, -1, 1));
  const assigned = elasticPlusMargins(targets, margins, o.rule);
  return { logits: elasticReference(cos, labels, assigned, o), assigned };
}

/** UniFace's unified cross-entropy, `Unified_Cross_Entropy_Loss.forward`, from cosines. */
export function uniFaceReference(cos: Matrix, labels: number[], bias: number, o: { m: number; s: number; lambda: number }): number {
  const softplus = (x: number) => Math.log(1 + Math.exp(x));
  let total = 0;
  cos.forEach((row, i) => {
    row.forEach((c, j) => {
      if (j === labels[i]) total += softplus(-clamp(o.s * (c - o.m) - bias, -o.s, o.s));
      else total += o.lambda * softplus(clamp(o.s * c - bias, -o.s, o.s));
    });
  });
  return total / cos.length;
}

/** Mean softmax cross-entropy of logits against labels, in float64 (log-sum-exp shifted by the max). */
export function softmaxCrossEntropy(logits: Matrix, labels: number[]): number {
  let total = 0;
  logits.forEach((row, i) => {
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
    total += lse - (row[labels[i] as number] as number);
  });
  return total / logits.length;
}

/** Rows of x normalised, and their norms. */
export function normalizeRows(x: Matrix): { unit: Matrix; norms: number[] } {
  const norms = x.map((row) => Math.sqrt(row.reduce((a, v) => a + v * v, 0)));
  return { unit: x.map((row, i) => row.map((v) => v / (norms[i] as number))), norms };
}

/** Cosines between rows of x and rows of w. */
export function cosineRows(x: Matrix, w: Matrix): Matrix {
  const a = normalizeRows(x).unit;
  const b = normalizeRows(w).unit;
  return a.map((r) => b.map((q) => r.reduce((acc, v, k) => acc + v * (q[k] as number), 0)));
}

/** Central differences of a scalar function of a matrix, in float64. */
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

/** A seeded uniform generator (mulberry32), so the test inputs are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A [rows, cols] matrix of cosines in [lo, hi], away from ±1 where float32 acos loses digits. */
export function randomCosines(random: () => number, rows: number, cols: number, lo = -0.95, hi = 0.95): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => lo + (hi - lo) * random()));
}

import { kernelSpec, ENTRY, f32, groupGrid, REDUCE_WORKGROUP, threadGrid, WORKGROUP, workgroupMax, workgroupSum, type Binding, type KernelSpec } from './wgsl';

/**
 * The margin softmax head in three dispatches, with the closed-form backward of
 * `@arcface/margins`' marginSoftmaxLoss:
 * 1. normalise the embeddings' and the centres' rows;
 * 2. per embedding: cosines to every centre, the margin on the label's, softmax cross-entropy,
 *    and the gradient at the cosines (written over them);
 * 3. the gradients at the embeddings and at the centres through the row normalisation.
 * The scratch buffer holds, in order: unit embeddings [B·D], unit centres [C·D], 1/‖row‖
 * [B + C], "not clamped" flags [B + C], per-row losses [B] and target angles in degrees [B].
 */
export interface HeadLayout {
  readonly batch: number;
  readonly dim: number;
  readonly classes: number;
  /** Offset of the centres [C, D] in the parameter buffer, and of their gradient in the gradient buffer. */
  readonly centers: number;
  readonly scale: number;
  readonly straightThrough: boolean;
  /** Defines `margin_target(c, p)` and `margin_slope(c, p)`. */
  readonly marginWgsl: string;
}

/** Offsets into the head's scratch buffer. */
export function headScratch(l: HeadLayout): { unitW: number; inverse: number; unclamped: number; loss: number; theta: number; size: number } {
  const { batch: B, dim: D, classes: C } = l;
  const unitW = B * D;
  const inverse = unitW + C * D;
  const unclamped = inverse + B + C;
  const loss = unclamped + B + C;
  const theta = loss + B;
  return { unitW, inverse, unclamped, loss, theta, size: theta + B };
}

/** Smallest squared norm a row is divided by, as `normalizeRows`. */
const MIN_SQUARED_NORM = 1e-24;

export function headNormalize<S>(l: HeadLayout, io: { embeddings: S; params: S; scratch: S }): KernelSpec<S> {
  const { batch: B, dim: D, classes: C } = l;
  const o = headScratch(l);
  const grid = threadGrid(B + C);
  const bindings: Binding<S>[] = [
    { name: 'e', storage: io.embeddings, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'scratch', storage: io.scratch, access: 'read_write' },
  ];
  const code = `fn value(r: u32, d: u32) -> f32 {
  if (r < ${B}u) { return e[r * ${D}u + d]; }
  return params[${l.centers}u + (r - ${B}u) * ${D}u + d];
}
${ENTRY(WORKGROUP)} {
  let r = ${grid.index};
  if (r >= ${B + C}u) { return; }
  var sq = 0.0;
  for (var d = 0u; d < ${D}u; d = d + 1u) { let v = value(r, d); sq = sq + v * v; }
  let inv = inverseSqrt(max(sq, ${f32(MIN_SQUARED_NORM)}));
  scratch[${o.inverse}u + r] = inv;
  scratch[${o.unclamped}u + r] = select(0.0, 1.0, sq > ${f32(MIN_SQUARED_NORM)});
  for (var d = 0u; d < ${D}u; d = d + 1u) { scratch[r * ${D}u + d] = value(r, d) * inv; }
}`;
  return kernelSpec('head-normalize', bindings, code, grid.workgroups);
}

export function headSoftmax<S>(l: HeadLayout, io: { labels: S; scratch: S; logits: S; step: S }): KernelSpec<S> {
  const { batch: B, dim: D, classes: C, scale: s } = l;
  const o = headScratch(l);
  const grid = groupGrid(B);
  const bindings: Binding<S>[] = [
    { name: 'labels', storage: io.labels, access: 'read', type: 'i32' },
    { name: 'scratch', storage: io.scratch, access: 'read_write' },
    { name: 'g', storage: io.logits, access: 'read_write' },
    { name: 'step', storage: io.step, access: 'uniform' },
  ];
  const N = REDUCE_WORKGROUP;
  const code = `${l.marginWgsl}
var<workgroup> red: array<f32, ${N}>;
var<workgroup> shared_target: f32;
${ENTRY(N)} {
  let b = ${grid.index};
  if (b >= ${B}u) { return; }
  let y = u32(labels[b]);
  for (var j = lid; j < ${C}u; j = j + ${N}u) {
    var dot = 0.0;
    for (var d = 0u; d < ${D}u; d = d + 1u) { dot = dot + scratch[b * ${D}u + d] * scratch[${o.unitW}u + j * ${D}u + d]; }
    g[b * ${C}u + j] = dot;
    if (j == y) { shared_target = dot; }
  }
  workgroupBarrier();
  let cy = shared_target;
  let ty = ${f32(s)} * margin_target(cy, step.margin);
  let slope = ${l.straightThrough ? '1.0' : 'margin_slope(cy, step.margin)'};
  var mx = -3.0e38;
  for (var j = lid; j < ${C}u; j = j + ${N}u) {
    let logit = select(${f32(s)} * g[b * ${C}u + j], ty, j == y);
    mx = max(mx, logit);
  }
  red[lid] = mx;
  ${workgroupMax('red')}
  let top = red[0];
  workgroupBarrier();
  var total = 0.0;
  for (var j = lid; j < ${C}u; j = j + ${N}u) {
    let logit = select(${f32(s)} * g[b * ${C}u + j], ty, j == y);
    total = total + exp(logit - top);
  }
  red[lid] = total;
  ${workgroupSum(['red'])}
  let lse = top + log(red[0]);
  for (var j = lid; j < ${C}u; j = j + ${N}u) {
    let logit = select(${f32(s)} * g[b * ${C}u + j], ty, j == y);
    let p = exp(logit - lse);
    g[b * ${C}u + j] = select(p, (p - 1.0) * slope, j == y);
  }
  if (lid == 0u) {
    scratch[${o.loss}u + b] = lse - ty;
    scratch[${o.theta}u + b] = acos(clamp(cy, -1.0, 1.0)) * ${f32(180 / Math.PI)};
  }
}`;
  return kernelSpec('head-softmax', bindings, code, grid.workgroups);
}

/**
 * Workgroups [0, B) give the embeddings' gradient rows, [B, B + C) the centres': each first
 * forms G·unit (or Gᵀ·unit), then removes its projection on the row's unit vector and scales
 * by s/(B·‖row‖), as normalizeRowsBackward with the mean loss's factor.
 */
export function headBackward<S>(l: HeadLayout, io: { scratch: S; logits: S; grads: S; dEmbeddings: S }): KernelSpec<S> {
  const { batch: B, dim: D, classes: C } = l;
  const o = headScratch(l);
  const grid = groupGrid(B + C);
  const bindings: Binding<S>[] = [
    { name: 'scratch', storage: io.scratch, access: 'read' },
    { name: 'g', storage: io.logits, access: 'read' },
    { name: 'grads', storage: io.grads, access: 'read_write' },
    { name: 'de', storage: io.dEmbeddings, access: 'read_write' },
  ];
  const N = REDUCE_WORKGROUP;
  const k = f32(l.scale / B);
  const code = `var<workgroup> red: array<f32, ${N}>;
var<workgroup> gu: array<f32, ${D}>;
${ENTRY(N)} {
  let r = ${grid.index};
  if (r >= ${B + C}u) { return; }
  var dot = 0.0;
  if (r < ${B}u) {
    for (var d = lid; d < ${D}u; d = d + ${N}u) {
      var acc = 0.0;
      for (var j = 0u; j < ${C}u; j = j + 1u) { acc = acc + g[r * ${C}u + j] * scratch[${o.unitW}u + j * ${D}u + d]; }
      gu[d] = acc;
      dot = dot + acc * scratch[r * ${D}u + d];
    }
  } else {
    let j = r - ${B}u;
    for (var d = lid; d < ${D}u; d = d + ${N}u) {
      var acc = 0.0;
      for (var b = 0u; b < ${B}u; b = b + 1u) { acc = acc + g[b * ${C}u + j] * scratch[b * ${D}u + d]; }
      gu[d] = acc;
      dot = dot + acc * scratch[${o.unitW}u + j * ${D}u + d];
    }
  }
  red[lid] = dot;
  ${workgroupSum(['red'])}
  let projection = red[0] * scratch[${o.unclamped}u + r];
  let factor = scratch[${o.inverse}u + r] * ${k};
  if (r < ${B}u) {
    for (var d = lid; d < ${D}u; d = d + ${N}u) {
      de[r * ${D}u + d] = (gu[d] - scratch[r * ${D}u + d] * projection) * factor;
    }
  } else {
    let j = r - ${B}u;
    for (var d = lid; d < ${D}u; d = d + ${N}u) {
      grads[${l.centers}u + j * ${D}u + d] = (gu[d] - scratch[${o.unitW}u + j * ${D}u + d] * projection) * factor;
    }
  }
}`;
  return kernelSpec('head-backward', bindings, code, grid.workgroups);
}

import { kernelSpec, ENTRY, f32, groupGrid, laneSum, reductionLanes, REDUCE_WORKGROUP, type Binding, type KernelSpec } from './wgsl';

/**
 * Batch norm in training mode with what follows it fused: PReLU, and the residual add whose
 * other operand is `residual`. One workgroup per channel: it reduces the channel's mean and
 * variance (two passes, as the eager path), normalises, writes the output, saves mean and
 * 1/σ for the backward pass and moves the running statistics.
 */
export interface BatchNormLayout {
  /** Values per channel (batch × pixels). */
  readonly count: number;
  readonly channels: number;
  readonly epsilon: number;
  readonly momentum: number;
  /** Offsets in the parameter buffer; γ and β absent mean 1 and 0. */
  readonly gamma?: number;
  readonly beta?: number;
  readonly alpha?: number;
  /** Offsets in the gradient buffer of the trained ones among γ, β and α. */
  readonly gammaGrad?: number;
  readonly betaGrad?: number;
  readonly alphaGrad?: number;
  /** Offsets of the running mean and variance in the statistics buffer. */
  readonly movingMean: number;
  readonly movingVariance: number;
  /** Offset of this layer's [mean, 1/σ] pairs in the saved-statistics buffer. */
  readonly saved: number;
}

function affine(l: BatchNormLayout): string {
  return [
    `let gamma = ${l.gamma === undefined ? '1.0' : `params[${l.gamma}u + c]`};`,
    `let beta = ${l.beta === undefined ? '0.0' : `params[${l.beta}u + c]`};`,
    l.alpha === undefined ? '' : `let alpha = params[${l.alpha}u + c];`,
  ].join('\n  ');
}

/** Lanes per channel and channels per workgroup for `l`'s reductions. */
function layout(l: BatchNormLayout): { lanes: number; per: number; groups: number } {
  const lanes = reductionLanes(l.count, REDUCE_WORKGROUP);
  const per = REDUCE_WORKGROUP / lanes;
  return { lanes, per, groups: Math.ceil(l.channels / per) };
}

export function batchNormForward<S>(
  l: BatchNormLayout,
  io: { x: S; params: S; stats: S; saved: S; y: S; residual?: S },
): KernelSpec<S> {
  const grid = groupGrid(layout(l).groups);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'stats', storage: io.stats, access: 'read_write' },
    { name: 'saved', storage: io.saved, access: 'read_write' },
    { name: 'y', storage: io.y, access: 'read_write' },
    ...(io.residual !== undefined ? [{ name: 'residual', storage: io.residual, access: 'read' as const }] : []),
  ];
  const C = l.channels;
  const { lanes, per } = layout(l);
  const code = `var<workgroup> red: array<f32, ${REDUCE_WORKGROUP}>;
${ENTRY(REDUCE_WORKGROUP)} {
  let e = lid % ${per}u;
  let lane = lid / ${per}u;
  let c = (${grid.index}) * ${per}u + e;
  let valid = c < ${C}u;
  var s = 0.0;
  if (valid) {
    for (var p = lane; p < ${l.count}u; p = p + ${lanes}u) { s = s + x[p * ${C}u + c]; }
  }
  red[lid] = s;
  ${laneSum(['red'], per, lanes)}
  let mean = red[e] / ${f32(l.count)};
  workgroupBarrier();
  var v = 0.0;
  if (valid) {
    for (var p = lane; p < ${l.count}u; p = p + ${lanes}u) { let d = x[p * ${C}u + c] - mean; v = v + d * d; }
  }
  red[lid] = v;
  ${laneSum(['red'], per, lanes)}
  if (!valid) { return; }
  let variance = red[e] / ${f32(l.count)};
  let inv = inverseSqrt(variance + ${f32(l.epsilon)});
  ${affine(l)}
  for (var p = lane; p < ${l.count}u; p = p + ${lanes}u) {
    let i = p * ${C}u + c;
    var z = (x[i] - mean) * inv * gamma + beta;
    ${l.alpha === undefined ? '' : 'if (z <= 0.0) { z = z * alpha; }'}
    ${io.residual === undefined ? '' : 'z = z + residual[i];'}
    y[i] = z;
  }
  if (lane == 0u) {
    saved[${l.saved}u + 2u * c] = mean;
    saved[${l.saved}u + 2u * c + 1u] = inv;
    let mm = stats[${l.movingMean}u + c];
    stats[${l.movingMean}u + c] = mm - (mm - mean) * ${f32(1 - l.momentum)};
    let mv = stats[${l.movingVariance}u + c];
    stats[${l.movingVariance}u + c] = mv - (mv - variance) * ${f32(1 - l.momentum)};
  }
}`;
  return kernelSpec('batch-norm', bindings, code, grid.workgroups);
}

/**
 * The backward pass of {@link batchNormForward}'s normalisation and PReLU in one dispatch:
 * per channel, Σdz, Σdz·x̂ (dz the gradient at the normalised value) and PReLU's Σdy·z, then
 * dx = γ/σ·(dz − mean dz − x̂·mean(dz·x̂)), written or added to what earlier consumers left.
 */
export function batchNormBackward<S>(
  l: BatchNormLayout,
  io: { x: S; dy: S; params: S; saved: S; grads: S; dx: { storage: S; accumulate: boolean } },
): KernelSpec<S> {
  const grid = groupGrid(layout(l).groups);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'dy', storage: io.dy, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'saved', storage: io.saved, access: 'read' },
    { name: 'grads', storage: io.grads, access: 'read_write' },
    { name: 'dx', storage: io.dx.storage, access: 'read_write' },
  ];
  const C = l.channels;
  const { lanes, per } = layout(l);
  const prelu = l.alpha !== undefined;
  const dz = prelu
    ? `let z = xh * gamma + beta;
    var dz = g;
    if (z <= 0.0) { dz = g * alpha; }`
    : 'let dz = g;';
  const code = `var<workgroup> r1: array<f32, ${REDUCE_WORKGROUP}>;
var<workgroup> r2: array<f32, ${REDUCE_WORKGROUP}>;
var<workgroup> r3: array<f32, ${REDUCE_WORKGROUP}>;
${ENTRY(REDUCE_WORKGROUP)} {
  let e = lid % ${per}u;
  let lane = lid / ${per}u;
  let c = (${grid.index}) * ${per}u + e;
  let valid = c < ${C}u;
  let cc = min(c, ${C - 1}u);
  let mean = saved[${l.saved}u + 2u * cc];
  let inv = saved[${l.saved}u + 2u * cc + 1u];
  ${affine(l).replace(/\+ c\]/g, '+ cc]')}
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  if (valid) {
    for (var p = lane; p < ${l.count}u; p = p + ${lanes}u) {
      let i = p * ${C}u + c;
      let xh = (x[i] - mean) * inv;
      let g = dy[i];
      ${dz}
      ${prelu ? 'if (z <= 0.0) { a3 = a3 + g * z; }' : ''}
      a1 = a1 + dz;
      a2 = a2 + dz * xh;
    }
  }
  r1[lid] = a1;
  r2[lid] = a2;
  r3[lid] = a3;
  ${laneSum(['r1', 'r2', 'r3'], per, lanes)}
  if (!valid) { return; }
  let sdz = r1[e];
  let sdzx = r2[e];
  if (lane == 0u) {
    ${l.gammaGrad === undefined ? '' : `grads[${l.gammaGrad}u + c] = sdzx;`}
    ${l.betaGrad === undefined ? '' : `grads[${l.betaGrad}u + c] = sdz;`}
    ${l.alphaGrad === undefined ? '' : `grads[${l.alphaGrad}u + c] = r3[e];`}
  }
  let k = gamma * inv;
  let mdz = sdz / ${f32(l.count)};
  let mdzx = sdzx / ${f32(l.count)};
  for (var p = lane; p < ${l.count}u; p = p + ${lanes}u) {
    let i = p * ${C}u + c;
    let xh = (x[i] - mean) * inv;
    let g = dy[i];
    ${dz}
    let v = k * (dz - mdz - xh * mdzx);
    dx[i] = ${io.dx.accumulate ? 'dx[i] + v' : 'v'};
  }
}`;
  return kernelSpec('batch-norm-backward', bindings, code, grid.workgroups);
}

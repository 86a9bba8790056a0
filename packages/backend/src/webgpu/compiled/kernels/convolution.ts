import { kernelSpec, ENTRY, groupGrid, threadGrid, WORKGROUP, type Binding, type KernelSpec } from './wgsl';

/** Geometry of one grouped convolution, NHWC, filter [kh, kw, in, out/groups]. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly groups: number;
  /** Element offset of the filter in the parameter buffer (and of its gradient in the gradient buffer). */
  readonly offset: number;
}

function constants(g: ConvGeometry): string {
  const a = g.inChannels / g.groups;
  const b = g.outChannels / g.groups;
  return [
    ['N', g.batch], ['H', g.inHeight], ['W', g.inWidth], ['C', g.inChannels], ['OH', g.outHeight], ['OW', g.outWidth],
    ['CO', g.outChannels], ['KH', g.kernel[0]], ['KW', g.kernel[1]], ['SH', g.stride[0]], ['SW', g.stride[1]],
    ['A', a], ['B', b], ['WOFF', g.offset],
  ]
    .map(([name, value]) => `const ${name} = ${value}u;`)
    .concat([`const PT = ${g.padding[0]}i;`, `const PL = ${g.padding[1]}i;`])
    .join('\n');
}

/** y[n, oh, ow, co] = Σ x·w over the kernel window and the input channels of co's group; one thread per output. */
export function convForward<S>(g: ConvGeometry, io: { x: S; params: S; y: S }): KernelSpec<S> {
  const total = g.batch * g.outHeight * g.outWidth * g.outChannels;
  const grid = threadGrid(total);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'y', storage: io.y, access: 'read_write' },
  ];
  const code = `${constants(g)}
${ENTRY(WORKGROUP)} {
  let i = ${grid.index};
  if (i >= ${total}u) { return; }
  let co = i % CO;
  var p = i / CO;
  let ow = p % OW; p = p / OW;
  let oh = p % OH;
  let n = p / OH;
  let grp = co / B;
  let m = co % B;
  var acc = 0.0;
  for (var kh = 0u; kh < KH; kh = kh + 1u) {
    let ih = i32(oh * SH + kh) - PT;
    if (ih < 0 || ih >= i32(H)) { continue; }
    for (var kw = 0u; kw < KW; kw = kw + 1u) {
      let iw = i32(ow * SW + kw) - PL;
      if (iw < 0 || iw >= i32(W)) { continue; }
      let xb = ((n * H + u32(ih)) * W + u32(iw)) * C + grp * A;
      let wb = WOFF + ((kh * KW + kw) * C + grp * A) * B + m;
      for (var j = 0u; j < A; j = j + 1u) { acc = acc + x[xb + j] * params[wb + j * B]; }
    }
  }
  y[i] = acc;
}`;
  return kernelSpec('conv', bindings, code, grid.workgroups);
}

/**
 * Both gradients of a convolution in one dispatch: the first workgroups compute dx (one thread
 * per input element, written or added to what earlier consumers left), the rest the filter's
 * gradient (each filter element's sum over batch and pixels split across 1 to 64 threads).
 * `dx` is left out where the input needs no gradient (the images).
 */
export function convBackward<S>(
  g: ConvGeometry,
  io: { x: S; dy: S; params: S; grads: S; dx?: { storage: S; accumulate: boolean } },
): KernelSpec<S> {
  const dxCount = io.dx ? g.batch * g.inHeight * g.inWidth * g.inChannels : 0;
  const dxGroups = Math.ceil(dxCount / WORKGROUP);
  const filterCount = g.kernel[0] * g.kernel[1] * g.inChannels * (g.outChannels / g.groups);
  const pixels = g.batch * g.outHeight * g.outWidth;
  // A workgroup computes `per` filter elements, `lanes` threads each splitting the pixels: many
  // lanes where each element sums over many pixels, one lane (a thread per element, no
  // reduction) where the sums are short.
  const lanes = Math.min(WORKGROUP, Math.max(1, 2 ** Math.floor(Math.log2(Math.max(1, pixels / 32)))));
  const per = WORKGROUP / lanes;
  const filterGroups = Math.ceil(filterCount / per);
  const grid = groupGrid(dxGroups + filterGroups);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'dy', storage: io.dy, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'grads', storage: io.grads, access: 'read_write' },
    ...(io.dx ? [{ name: 'dx', storage: io.dx.storage, access: 'read_write' as const }] : []),
  ];
  const dxSection = io.dx
    ? `if (gi < ${dxGroups}u) {
    let i = gi * ${WORKGROUP}u + lid;
    if (i < ${dxCount}u) {
      let ci = i % C;
      var p = i / C;
      let iw = p % W; p = p / W;
      let ih = p % H;
      let n = p / H;
      let grp = ci / A;
      var acc = 0.0;
      for (var kh = 0u; kh < KH; kh = kh + 1u) {
        let th = i32(ih) + PT - i32(kh);
        if (th < 0) { continue; }
        if (u32(th) % SH != 0u) { continue; }
        let oh = u32(th) / SH;
        if (oh >= OH) { continue; }
        for (var kw = 0u; kw < KW; kw = kw + 1u) {
          let tw = i32(iw) + PL - i32(kw);
          if (tw < 0) { continue; }
          if (u32(tw) % SW != 0u) { continue; }
          let ow = u32(tw) / SW;
          if (ow >= OW) { continue; }
          let db = ((n * OH + oh) * OW + ow) * CO + grp * B;
          let wb = WOFF + ((kh * KW + kw) * C + ci) * B;
          for (var m = 0u; m < B; m = m + 1u) { acc = acc + dy[db + m] * params[wb + m]; }
        }
      }
      dx[i] = ${io.dx.accumulate ? 'dx[i] + acc' : 'acc'};
    }
    return;
  }`
    : '';
  const code = `${constants(g)}
var<workgroup> part: array<f32, ${WORKGROUP}>;
${ENTRY(WORKGROUP)} {
  let gi = ${grid.index};
  ${dxSection}
  let e = lid % ${per}u;
  let lane = lid / ${per}u;
  let f = (gi - ${dxGroups}u) * ${per}u + e;
  let valid = f < ${filterCount}u;
  let m = f % B;
  var q = f / B;
  let ci = q % C; q = q / C;
  let kw = q % KW;
  let kh = q / KW;
  let co = (ci / A) * B + m;
  var acc = 0.0;
  if (valid) {
    for (var p = lane; p < ${pixels}u; p = p + ${lanes}u) {
      let ow = p % OW;
      let r = p / OW;
      let oh = r % OH;
      let n = r / OH;
      let ih = i32(oh * SH + kh) - PT;
      let iw = i32(ow * SW + kw) - PL;
      if (ih >= 0 && ih < i32(H) && iw >= 0 && iw < i32(W)) {
        acc = acc + dy[p * CO + co] * x[((n * H + u32(ih)) * W + u32(iw)) * C + ci];
      }
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${Math.floor(lanes / 2)}u; s > 0u; s = s >> 1u) {
    if (lane < s) { part[lid] = part[lid] + part[lid + s * ${per}u]; }
    workgroupBarrier();
  }
  if (lane == 0u && valid) { grads[WOFF + f] = part[e]; }
}`;
  return kernelSpec('conv-backward', bindings, code, grid.workgroups);
}

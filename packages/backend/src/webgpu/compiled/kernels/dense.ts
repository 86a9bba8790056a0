import { kernelSpec, ENTRY, threadGrid, WORKGROUP, type Binding, type KernelSpec } from './wgsl';

/** x [B, K] · W [K, U] (+ bias [U]); offsets are into the parameter and gradient buffers. */
export interface DenseLayout {
  readonly batch: number;
  readonly inputs: number;
  readonly units: number;
  readonly kernel: number;
  readonly bias?: number;
}

export function denseForward<S>(l: DenseLayout, io: { x: S; params: S; y: S }): KernelSpec<S> {
  const total = l.batch * l.units;
  const grid = threadGrid(total);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'y', storage: io.y, access: 'read_write' },
  ];
  const code = `${ENTRY(WORKGROUP)} {
  let i = ${grid.index};
  if (i >= ${total}u) { return; }
  let u = i % ${l.units}u;
  let b = i / ${l.units}u;
  var acc = ${l.bias === undefined ? '0.0' : `params[${l.bias}u + u]`};
  for (var k = 0u; k < ${l.inputs}u; k = k + 1u) {
    acc = acc + x[b * ${l.inputs}u + k] * params[${l.kernel}u + k * ${l.units}u + u];
  }
  y[i] = acc;
}`;
  return kernelSpec('dense', bindings, code, grid.workgroups);
}

/** dx, dW and db of a dense layer in one dispatch, each thread one element of one of them. */
export function denseBackward<S>(
  l: DenseLayout,
  io: { x: S; dy: S; params: S; grads: S; dx?: { storage: S; accumulate: boolean } },
): KernelSpec<S> {
  const { batch: B, inputs: K, units: U } = l;
  const dxCount = io.dx ? B * K : 0;
  const total = dxCount + K * U + (l.bias === undefined ? 0 : U);
  const grid = threadGrid(total);
  const bindings: Binding<S>[] = [
    { name: 'x', storage: io.x, access: 'read' },
    { name: 'dy', storage: io.dy, access: 'read' },
    { name: 'params', storage: io.params, access: 'read' },
    { name: 'grads', storage: io.grads, access: 'read_write' },
    ...(io.dx ? [{ name: 'dx', storage: io.dx.storage, access: 'read_write' as const }] : []),
  ];
  const dxSection = io.dx
    ? `if (i < ${dxCount}u) {
    let k = i % ${K}u;
    let b = i / ${K}u;
    var acc = 0.0;
    for (var u = 0u; u < ${U}u; u = u + 1u) { acc = acc + dy[b * ${U}u + u] * params[${l.kernel}u + k * ${U}u + u]; }
    dx[i] = ${io.dx.accumulate ? 'dx[i] + acc' : 'acc'};
    return;
  }`
    : '';
  const biasSection =
    l.bias === undefined
      ? ''
      : `if (j >= ${K * U}u) {
    let u = j - ${K * U}u;
    var acc = 0.0;
    for (var b = 0u; b < ${B}u; b = b + 1u) { acc = acc + dy[b * ${U}u + u]; }
    grads[${l.bias}u + u] = acc;
    return;
  }`;
  const code = `${ENTRY(WORKGROUP)} {
  let i = ${grid.index};
  if (i >= ${total}u) { return; }
  ${dxSection}
  let j = i - ${dxCount}u;
  ${biasSection}
  let u = j % ${U}u;
  let k = j / ${U}u;
  var acc = 0.0;
  for (var b = 0u; b < ${B}u; b = b + 1u) { acc = acc + x[b * ${K}u + k] * dy[b * ${U}u + u]; }
  grads[${l.kernel}u + j] = acc;
}`;
  return kernelSpec('dense-backward', bindings, code, grid.workgroups);
}

import { kernelSpec, ENTRY, f32, threadGrid, WORKGROUP, type Binding, type KernelSpec } from './wgsl';

function elementwise<S>(label: string, count: number, bindings: Binding<S>[], body: string): KernelSpec<S> {
  const grid = threadGrid(count);
  const code = `${ENTRY(WORKGROUP)} {
  let i = ${grid.index};
  if (i >= ${count}u) { return; }
  ${body}
}`;
  return kernelSpec(label, bindings, code, grid.workgroups);
}

/** y = a + b (an addition no batch norm could take as its residual). */
export function addKernel<S>(count: number, io: { a: S; b: S; y: S }): KernelSpec<S> {
  return elementwise(
    'add',
    count,
    [
      { name: 'a', storage: io.a, access: 'read' },
      { name: 'b', storage: io.b, access: 'read' },
      { name: 'y', storage: io.y, access: 'read_write' },
    ],
    'y[i] = a[i] + b[i];',
  );
}

/** target += source: a gradient that reaches a tensor by a second path. */
export function accumulateKernel<S>(count: number, io: { source: S; target: S }): KernelSpec<S> {
  return elementwise(
    'accumulate',
    count,
    [
      { name: 'source', storage: io.source, access: 'read' },
      { name: 'target', storage: io.target, access: 'read_write' },
    ],
    'target[i] = target[i] + source[i];',
  );
}

/** y = x·scale + offset. */
export function rescaleKernel<S>(count: number, scale: number, offset: number, io: { x: S; y: S }): KernelSpec<S> {
  return elementwise(
    'rescale',
    count,
    [
      { name: 'x', storage: io.x, access: 'read' },
      { name: 'y', storage: io.y, access: 'read_write' },
    ],
    `y[i] = x[i] * ${f32(scale)} + ${f32(offset)};`,
  );
}

/** y = max(x, 0). */
export function reluKernel<S>(count: number, io: { x: S; y: S }): KernelSpec<S> {
  return elementwise(
    'relu',
    count,
    [
      { name: 'x', storage: io.x, access: 'read' },
      { name: 'y', storage: io.y, access: 'read_write' },
    ],
    'y[i] = max(x[i], 0.0);',
  );
}

/** dx = dy where x > 0 (tfjs' ReLU gradient), written or added. */
export function reluBackwardKernel<S>(count: number, io: { x: S; dy: S; dx: { storage: S; accumulate: boolean } }): KernelSpec<S> {
  return elementwise(
    'relu-backward',
    count,
    [
      { name: 'x', storage: io.x, access: 'read' },
      { name: 'dy', storage: io.dy, access: 'read' },
      { name: 'dx', storage: io.dx.storage, access: 'read_write' },
    ],
    `let v = select(0.0, dy[i], x[i] > 0.0);
  dx[i] = ${io.dx.accumulate ? 'dx[i] + v' : 'v'};`,
  );
}

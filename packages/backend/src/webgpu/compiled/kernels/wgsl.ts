/** Helpers shared by the compiled step's WGSL generators. */

/** Threads per workgroup of the element-wise kernels. */
export const WORKGROUP = 64;
/** Threads per workgroup of the kernels that reduce within a workgroup. */
export const REDUCE_WORKGROUP = 256;
/** WebGPU's guaranteed maximum of workgroups along one dispatch dimension. */
const MAX_GROUPS = 65535;

export type Access = 'read' | 'read_write' | 'uniform';

/** One binding of a kernel, in binding order; `S` is the schedule's storage type. */
export interface Binding<S> {
  readonly name: string;
  readonly storage: S;
  readonly access: Access;
  /** WGSL element type, `f32` unless told. */
  readonly type?: 'f32' | 'i32';
}

/** A kernel ready to dispatch: code, grid and what it binds. */
export interface KernelSpec<S> {
  readonly label: string;
  readonly code: string;
  readonly workgroups: readonly [number, number];
  readonly bindings: readonly Binding<S>[];
}

/** The per-step values every kernel may read (one uniform buffer, written before each submission). */
export const STEP_STRUCT = `struct Step { lr: f32, bias1: f32, bias2: f32, margin: f32, decay: f32, pad0: f32, pad1: f32, pad2: f32 }`;
/** Bytes of {@link STEP_STRUCT}. */
export const STEP_BYTES = 32;

export function declarations<S>(bindings: readonly Binding<S>[]): string {
  const lines = bindings.map((b, i) => {
    if (b.access === 'uniform') return `@group(0) @binding(${i}) var<uniform> ${b.name}: Step;`;
    return `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.type ?? 'f32'}>;`;
  });
  const usesStep = bindings.some((b) => b.access === 'uniform');
  return (usesStep ? `${STEP_STRUCT}\n` : '') + lines.join('\n');
}

/**
 * A kernel from its body: the bindings the body never names are left out (a pipeline's 'auto'
 * layout drops them, and a bind group may not name them), the rest declared in order.
 */
export function kernelSpec<S>(label: string, bindings: readonly Binding<S>[], body: string, workgroups: readonly [number, number]): KernelSpec<S> {
  const used = bindings.filter((b) => new RegExp(`\\b${b.name}(\\[|\\.)`).test(body));
  return { label, code: `${declarations(used)}\n${body}`, workgroups, bindings: used };
}

/** A float constant as a WGSL f32 literal. */
export function f32(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`WGSL has no literal for ${value}`);
  const text = Math.fround(value).toPrecision(9);
  return `f32(${/[.e]/.test(text) ? text : `${text}.0`})`;
}

/** A grid of `threads` threads, `WORKGROUP` per group: its size and the thread's linear index. */
export function threadGrid(threads: number): { workgroups: [number, number]; index: string } {
  const groups = Math.max(1, Math.ceil(threads / WORKGROUP));
  const x = Math.min(groups, MAX_GROUPS);
  return { workgroups: [x, Math.ceil(groups / x)], index: `(wid.y * ${x}u + wid.x) * ${WORKGROUP}u + lid` };
}

/** A grid of `groups` workgroups: its size and the group's linear index. */
export function groupGrid(groups: number): { workgroups: [number, number]; index: string } {
  const x = Math.min(Math.max(1, groups), MAX_GROUPS);
  return { workgroups: [x, Math.ceil(Math.max(1, groups) / x)], index: `wid.y * ${x}u + wid.x` };
}

export const ENTRY = (size: number) =>
  `@compute @workgroup_size(${size}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32)`;

/** As {@link workgroupSum}, the maximum of one array. */
export function workgroupMax(array: string, size = REDUCE_WORKGROUP): string {
  return `workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${array}[lid] = max(${array}[lid], ${array}[lid + s]); }
    workgroupBarrier();
  }`;
}

/**
 * A tree sum of `arrays` (each a `var<workgroup>` array of `size` floats) across the
 * workgroup; afterwards element 0 of each holds the total. Must be reached by every thread.
 */
export function workgroupSum(arrays: readonly string[], size = REDUCE_WORKGROUP): string {
  const adds = arrays.map((a) => `${a}[lid] = ${a}[lid] + ${a}[lid + s];`).join(' ');
  return `workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${adds} }
    workgroupBarrier();
  }`;
}

/**
 * Lanes for a workgroup that reduces `count` values for each of several outputs: a power of two
 * up to `size`, about one lane per `perLane` values, so that short sums run a thread per output
 * and long ones split across many threads.
 */
export function reductionLanes(count: number, size: number, perLane = 16): number {
  return Math.min(size, Math.max(1, 2 ** Math.floor(Math.log2(Math.max(1, count / perLane)))));
}

/**
 * Sums each `var<workgroup>` array across lanes: element `lane·per + e` holds lane `lane`'s part
 * of output `e`; afterwards element `e` holds the total. Every thread must reach it.
 */
export function laneSum(arrays: readonly string[], per: number, lanes: number): string {
  const adds = arrays.map((a) => `${a}[lid] = ${a}[lid] + ${a}[lid + s * ${per}u];`).join(' ');
  return `workgroupBarrier();
  for (var s = ${Math.floor(lanes / 2)}u; s > 0u; s = s >> 1u) {
    if (lane < s) { ${adds} }
    workgroupBarrier();
  }`;
}

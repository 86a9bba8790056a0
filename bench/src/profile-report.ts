import type { TracedKernel } from './kernel-tracer';

/** One kernel call: tf.profile's record joined with the tracer's. */
export interface ProfiledKernel extends TracedKernel {
  readonly kernelMs: number;
  readonly inputShapes: ReadonlyArray<readonly number[] | null>;
  readonly outputShapes: ReadonlyArray<readonly number[]>;
  /** The backend's programs behind the kernel (WebGPU: shader classes), from tf.profile's extraInfo. */
  readonly programs: string;
}

/** Calls grouped by kernel, input shapes and enclosing kernel. */
export interface KernelGroup {
  readonly key: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly where: string;
  readonly shapes: string;
  readonly programs: string;
  calls: number;
  kernelMs: number;
  hostMs: number;
  syncReads: number;
  createdBuffers: number;
  createdBytes: number;
  createMs: number;
  uploadBytes: number;
  uploadMs: number;
  submitMs: number;
}

export interface ProfileSummary {
  readonly label: string;
  readonly backend: string;
  /** Wall time of the profiled step (timers make it slower than a plain one). */
  readonly profiledWallMs: number;
  /** Median wall time of plain, untraced steps. */
  readonly wallMs: number;
  /** Σ kernelMs over outermost kernels (nested ones are inside their parent's time). */
  readonly kernelMs: number;
  readonly hostMs: number;
  readonly kernels: number;
  readonly syncReads: number;
  /** WebGPU device calls made inside outermost kernels: buffers created, uploads, submissions (host ms). */
  readonly device: { createdBuffers: number; createdMB: number; createMs: number; uploadMB: number; uploadMs: number; submits: number; submitMs: number };
  readonly byWhere: Record<string, number>;
  /** False when every kernel time is 0: the backend had no timer (WebGPU without timestamp-query). */
  readonly timed: boolean;
  readonly groups: KernelGroup[];
}

/** `where` of a profiled record that is a scope around kernels, not a kernel. */
export const SCOPE = 'scope';

const shapeText = (shapes: ReadonlyArray<readonly number[] | null>): string => shapes.map((s) => (s === null ? '–' : `[${s.join(',')}]`)).join(' ');

/** Strips the milliseconds from tfjs-webgpu's "Program: ms, Program: ms" and counts repeats. */
function programNames(extraInfo: string): string {
  const counts = new Map<string, number>();
  for (const part of extraInfo.split(',')) {
    const name = part.split(':')[0]?.trim();
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => (n > 1 ? `${name}×${n}` : name)).join(' ');
}

export function joinProfile(
  profiled: ReadonlyArray<{ name: string; kernelTimeMs: unknown; inputShapes: Array<number[] | null>; outputShapes: number[][]; extraInfo: unknown }>,
  traced: readonly TracedKernel[],
): ProfiledKernel[] {
  // Both lists grow as kernel calls complete, nearly in the same order: the engine records a
  // kernel only after cloning the tensors its gradient keeps (Identity calls in between).
  // Records with no traced call are scopes (customGrad, fused ops' gradient wrappers) whose
  // time already includes the kernels inside them.
  const used = new Uint8Array(traced.length);
  let low = 0;
  return profiled.map((p) => {
    let match: TracedKernel | undefined;
    for (let t = low; t < Math.min(traced.length, low + 64); t++) {
      if (used[t] === 0 && traced[t]!.name === p.name) {
        used[t] = 1;
        match = traced[t];
        break;
      }
    }
    while (low < traced.length && used[low] === 1) low++;
    return {
      name: p.name,
      parent: match?.parent,
      hostMs: match?.hostMs ?? Number.NaN,
      where: match?.where ?? SCOPE,
      syncReads: match?.syncReads ?? 0,
      createdBuffers: match?.createdBuffers ?? 0,
      createdBytes: match?.createdBytes ?? 0,
      createMs: match?.createMs ?? 0,
      uploadBytes: match?.uploadBytes ?? 0,
      uploadMs: match?.uploadMs ?? 0,
      submits: match?.submits ?? 0,
      submitMs: match?.submitMs ?? 0,
      kernelMs: typeof p.kernelTimeMs === 'number' ? p.kernelTimeMs : Number.NaN,
      inputShapes: p.inputShapes,
      outputShapes: p.outputShapes,
      programs: programNames(typeof p.extraInfo === 'string' ? p.extraInfo : ''),
    };
  });
}

export function summarise(label: string, backend: string, calls: readonly ProfiledKernel[], profiledWallMs: number, wallMs: number): ProfileSummary {
  const groups = new Map<string, KernelGroup>();
  const byWhere: Record<string, number> = {};
  let kernelMs = 0;
  let hostMs = 0;
  let syncReads = 0;
  let kernels = 0;
  const device = { createdBuffers: 0, createdMB: 0, createMs: 0, uploadMB: 0, uploadMs: 0, submits: 0, submitMs: 0 };
  for (const c of calls) {
    const shapes = shapeText(c.inputShapes);
    const key = `${c.parent ?? ''}›${c.name}›${c.where}›${shapes}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        key, name: c.name, parent: c.parent, where: c.where, shapes, programs: c.programs,
        calls: 0, kernelMs: 0, hostMs: 0, syncReads: 0, createdBuffers: 0, createdBytes: 0, createMs: 0, uploadBytes: 0, uploadMs: 0, submitMs: 0,
      };
      groups.set(key, g);
    }
    g.calls++;
    g.kernelMs += Number.isFinite(c.kernelMs) ? c.kernelMs : 0;
    g.hostMs += Number.isFinite(c.hostMs) ? c.hostMs : 0;
    g.syncReads += c.syncReads;
    g.createdBuffers += c.createdBuffers;
    g.createdBytes += c.createdBytes;
    g.createMs += c.createMs;
    g.uploadBytes += c.uploadBytes;
    g.uploadMs += c.uploadMs;
    g.submitMs += c.submitMs;
    if (c.parent === undefined && c.where !== SCOPE) {
      kernels++;
      kernelMs += Number.isFinite(c.kernelMs) ? c.kernelMs : 0;
      hostMs += Number.isFinite(c.hostMs) ? c.hostMs : 0;
      syncReads += c.syncReads;
      device.createdBuffers += c.createdBuffers;
      device.createdMB += c.createdBytes / 2 ** 20;
      device.createMs += c.createMs;
      device.uploadMB += c.uploadBytes / 2 ** 20;
      device.uploadMs += c.uploadMs;
      device.submits += c.submits;
      device.submitMs += c.submitMs;
      byWhere[c.where] = (byWhere[c.where] ?? 0) + 1;
    }
  }
  return { label, backend, profiledWallMs, wallMs, kernelMs, hostMs, kernels, syncReads, device, byWhere, timed: kernelMs > 0, groups: [...groups.values()] };
}

const fixed = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));

/** The summary as text: totals, then the top kernels by time (device time when timed, else host time). */
export function formatProfile(s: ProfileSummary, top: number): string {
  const by = (g: KernelGroup) => (s.timed ? g.kernelMs : g.hostMs);
  const totalsByName = new Map<string, { calls: number; ms: number; hostMs: number }>();
  for (const g of s.groups) {
    if (g.parent !== undefined || g.where === SCOPE) continue;
    const t = totalsByName.get(g.name) ?? { calls: 0, ms: 0, hostMs: 0 };
    t.calls += g.calls;
    t.ms += g.kernelMs;
    t.hostMs += g.hostMs;
    totalsByName.set(g.name, t);
  }
  const lines = [
    `## ${s.label} on ${s.backend}`,
    '',
    `wall: ${fixed(s.wallMs)} ms per plain step; ${fixed(s.profiledWallMs)} ms for the profiled step`,
    `kernelMs (Σ outermost kernels, scopes left out; ${s.timed ? "the backend's timer" : 'NO device timer: all 0'}): ${fixed(s.kernelMs)} ms;  host time in kernel functions: ${fixed(s.hostMs)} ms`,
    `kernels: ${s.kernels} (${Object.entries(s.byWhere).map(([w, n]) => `${n} on ${w}`).join(', ')});  synchronous reads: ${s.syncReads}`,
    ...(s.backend === 'webgpu'
      ? [
          `inside kernels, host ms on device calls: ${s.device.createdBuffers} buffers created (${fixed(s.device.createdMB)} MB) ${fixed(s.device.createMs)} ms; ` +
            `uploads ${fixed(s.device.uploadMB)} MB ${fixed(s.device.uploadMs)} ms; ${s.device.submits} submits ${fixed(s.device.submitMs)} ms`,
        ]
      : []),
    '',
    `Top kernels by ${s.timed ? 'kernelMs' : 'host ms'}, all calls of a kernel:`,
    '',
    '| kernel | calls | kernel ms | host ms | share |',
    '|---|---:|---:|---:|---:|',
    ...[...totalsByName]
      .sort((a, b) => (s.timed ? b[1].ms - a[1].ms : b[1].hostMs - a[1].hostMs))
      .slice(0, top)
      .map(([name, t]) => `| ${name} | ${t.calls} | ${fixed(t.ms)} | ${fixed(t.hostMs)} | ${(((s.timed ? t.ms / s.kernelMs : t.hostMs / s.hostMs) || 0) * 100).toFixed(1)}% |`),
    '',
    ...groupTable(s, top, by, s.timed ? 'kernelMs' : 'host ms'),
    ...(s.timed ? ['', ...groupTable(s, top, (g) => g.hostMs, 'host ms')] : []),
  ];
  return lines.join('\n');
}

function groupTable(s: ProfileSummary, top: number, by: (g: KernelGroup) => number, what: string): string[] {
  return [
    `Top ${top} (kernel, input shapes) by ${what} ('a › b': b inside a):`,
    '',
    '| kernel | where | calls | kernel ms | host ms | sync reads | new buffers (MB, ms) | uploads (MB, ms) | submit ms | input shapes | programs |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
    ...[...s.groups]
      .sort((a, b) => by(b) - by(a))
      .slice(0, top)
      .map(
        (g) =>
          `| ${g.parent === undefined ? '' : `${g.parent} › `}${g.name} | ${g.where} | ${g.calls} | ${fixed(g.kernelMs)} | ${fixed(g.hostMs)} | ${g.syncReads} | ` +
          `${g.createdBuffers} (${fixed(g.createdBytes / 2 ** 20)}, ${fixed(g.createMs)}) | ${fixed(g.uploadBytes / 2 ** 20)}, ${fixed(g.uploadMs)} | ${fixed(g.submitMs)} | ${g.shapes} | ${g.programs} |`,
      ),
  ];
}

import type { Measurement } from './workloads';
import type { TorchRun } from './torch-reference';

/** The issue's targets: time ÷ PyTorch time on the same machine. */
export const TARGETS: Record<Measurement['workload'], number> = { 'margin-head': 1.5, 'train-step': 3, inference: 2 };

export interface Row extends Measurement {
  readonly torchMs?: number;
  readonly ratio?: number;
  readonly target: number;
}

function torchKey(m: Measurement): (r: TorchRun['results'][number]) => boolean {
  const classes = /C=(\d+)/.exec(m.detail)?.[1];
  const network = m.detail.split(' ')[0];
  // A compiled plan (batch norm folded) is compared with PyTorch's folded model, the plain one with the plain.
  const variant = m.variant === 'compiled' ? 'folded' : undefined;
  return (r) =>
    r.workload === m.workload && (m.workload === 'margin-head' ? String(r.classes) === classes : r.network === network && r.variant === variant);
}

/** Pairs each tfjs measurement with PyTorch's time for the same work. */
export function attachRatios(measurements: readonly Measurement[], torch: TorchRun): Row[] {
  return measurements.map((m) => {
    const reference = m.detail.includes('stock') ? undefined : torch.results.find(torchKey(m));
    const ratio = m.ms !== undefined && reference !== undefined ? m.ms / reference.ms : undefined;
    return {
      ...m,
      target: TARGETS[m.workload],
      ...(reference === undefined ? {} : { torchMs: reference.ms }),
      ...(ratio === undefined ? {} : { ratio }),
    };
  });
}

const fmt = (ms: number | undefined) => (ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** The Markdown table (same rows as the JSON). */
export function markdownTable(rows: readonly Row[], torch: TorchRun, heading: string, environment: string): string {
  const lines = [
    `### ${heading}`,
    '',
    environment,
    '',
    '| workload | shape | backend | time (ms) | PyTorch (ms) | ratio | target | met |',
    '|---|---|---|---:|---:|---:|---:|:-:|',
  ];
  for (const r of rows) {
    const extra = r.imagesPerSecond !== undefined ? ` (${r.imagesPerSecond.toFixed(1)} img/s)` : r.note !== undefined ? ` (${r.note})` : '';
    const time = r.ms === undefined ? (r.note ?? 'skipped') : `${fmt(r.ms)}${extra}`;
    const met = r.ratio === undefined ? '—' : r.ratio <= r.target ? 'yes' : 'no';
    lines.push(
      `| ${r.workload} | ${r.detail} | ${r.backend} | ${time} | ${fmt(r.torchMs)} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`} | ≤ ${r.target} | ${met} |`,
    );
  }
  if (torch.skipped !== undefined) lines.push('', `PyTorch reference skipped: ${torch.skipped}.`);
  return lines.join('\n');
}

/** Replaces (or appends) the generated section `key` of a Markdown document, keeping the prose around it. */
export function replaceSection(document: string, key: string, body: string): string {
  const start = `<!-- bench:${key}:start -->`;
  const end = `<!-- bench:${key}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

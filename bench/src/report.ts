import type { Measurement } from './workloads';
import type { TorchRun } from './torch-reference';

/** The issue's targets: time ÷ PyTorch time on the same machine. */
export const TARGETS: Record<Measurement['workload'], number> = { 'margin-head': 1.5, 'train-step': 3, inference: 2, 'imported-inference': 1.5 };

export interface Row extends Measurement {
  readonly torchMs?: number;
  readonly ratio?: number;
  readonly target: number;
  /** Per-round ratios, when the work was measured in rounds alternating with PyTorch. */
  readonly roundRatios?: readonly number[];
}

/** One round: PyTorch's timings and tfjs' for the same work, measured back to back. */
export interface Round {
  readonly measurements: readonly Measurement[];
  readonly torch: TorchRun;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Rows from rounds of the same measurements: time and PyTorch time are medians over the rounds,
 * the ratio the median of each round's own ratio. On a machine whose speed drifts (a shared
 * 2-core VM: 1.5× between minutes), a ratio of two timings taken back to back is what stays
 * stable; timings minutes apart are not comparable.
 */
export function combineRounds(rounds: readonly Round[]): Row[] {
  const perRound = rounds.map((round) => attachRatios(round.measurements, round.torch));
  const first = perRound[0] ?? [];
  return first.map((row, index) => {
    const same = perRound.map((rows) => rows[index]).filter((r): r is Row => r !== undefined && r.detail === row.detail);
    const times = same.flatMap((r) => (r.ms === undefined ? [] : [r.ms]));
    const torchTimes = same.flatMap((r) => (r.torchMs === undefined ? [] : [r.torchMs]));
    const ratios = same.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
    const { ms: _ms, torchMs: _torchMs, ratio: _ratio, ...rest } = row;
    return {
      ...rest,
      ...(times.length === 0 ? {} : { ms: median(times) }),
      ...(torchTimes.length === 0 ? {} : { torchMs: median(torchTimes) }),
      ...(ratios.length === 0 ? {} : { ratio: median(ratios), roundRatios: ratios }),
    };
  });
}

function torchKey(m: Measurement): (r: TorchRun['results'][number]) => boolean {
  const classes = /C=(\d+)/.exec(m.detail)?.[1];
  const network = m.detail.split(' ')[0];
  // A compiled plan (batch norm folded) is compared with PyTorch's folded model, the plain one with the plain.
  // A compiled inference plan folds batch norm as PyTorch's fx fusion; a compiled training step does the same work as PyTorch's.
  const variant = m.variant === 'compiled' && m.workload === 'inference' ? 'folded' : undefined;
  return (r) =>
    r.workload === m.workload && (m.workload === 'margin-head' ? String(r.classes) === classes : r.network === network && r.variant === variant);
}

/** Pairs each tfjs measurement with PyTorch's time for the same work. */
export function attachRatios(measurements: readonly Measurement[], torch: TorchRun): Row[] {
  return measurements.map((m) => {
    // Imported networks are timed against onnxruntime-node in the same run (`referenceMs`).
    const own = (m as { referenceMs?: number }).referenceMs;
    const reference = own !== undefined ? { ms: own } : m.detail.includes('stock') ? undefined : torch.results.find(torchKey(m));
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
    '| workload | shape | backend | time (ms) | PyTorch or onnxruntime (ms) | ratio | target | met |',
    '|---|---|---|---:|---:|---:|---:|:-:|',
  ];
  for (const r of rows) {
    const extra = r.imagesPerSecond !== undefined ? ` (${r.imagesPerSecond.toFixed(1)} img/s)` : r.note !== undefined ? ` (${r.note})` : '';
    const time = r.ms === undefined ? (r.note ?? 'skipped') : `${fmt(r.ms)}${extra}`;
    const met = r.ratio === undefined ? '—' : r.ratio <= r.target ? 'yes' : 'no';
    const rounds = r.roundRatios !== undefined && r.roundRatios.length > 1 ? ` (${r.roundRatios.map((x) => x.toFixed(2)).join(', ')})` : '';
    lines.push(
      `| ${r.workload} | ${r.detail} | ${r.backend} | ${time} | ${fmt(r.torchMs)} | ${r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×${rounds}`} | ≤ ${r.target} | ${met} |`,
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

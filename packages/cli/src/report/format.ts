/** Number formats shared by the Markdown, HTML and terminal tables. */

/** 0.98765 → `98.77%`. */
export function formatPercent(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(digits)}%` : 'n/a';
}

/** Mean ± std of a rate, in percent: `98.77 ± 0.41%`. */
export function formatPercentPm(mean: number, std: number, digits = 2): string {
  if (!Number.isFinite(mean)) return 'n/a';
  return `${(100 * mean).toFixed(digits)} ± ${(100 * std).toFixed(digits)}%`;
}

/** Degrees with one decimal: `38.5°`. */
export function formatDegrees(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}°` : 'n/a';
}

/** Milliseconds as `1 min 12 s`, `8.4 s` or `120 ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - 60 * minutes)} s`;
}

/** A plain number with up to `digits` significant decimals: 4.1234 → `4.123`. */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(digits)).toString();
}

/** Margin options as `m=0.5, s=32`, without the spec's defaults noise of nested values. */
export function formatOptions(options: { readonly [key: string]: unknown }): string {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

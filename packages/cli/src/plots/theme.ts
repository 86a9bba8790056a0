import type { Config } from 'vega-lite';

/**
 * Shared look of every chart. DejaVu Sans is named first because librsvg (the PNG path) and
 * headless Chromium both find it on a bare Debian machine; the generic family is the fallback.
 */
export const PLOT_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Ten distinguishable hues (Tableau 10), so a margin keeps its colour across every chart. */
export const SERIES_COLORS: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export const PLOT_CONFIG: Config = {
  font: PLOT_FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#dddddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eeeeee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14, anchor: 'start' },
};

/** Default chart body size in pixels. */
export const PLOT_WIDTH = 400;
export const PLOT_HEIGHT = 280;

/**
 * A colour scale that keeps the callers' series order, so the same names get the same colours
 * in every chart of a report.
 */
export function seriesColorScale(names: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(names)];
  return { domain, range: domain.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length] as string) };
}

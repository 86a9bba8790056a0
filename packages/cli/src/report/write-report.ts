import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { svgToPng } from '../plots/render';
import type { DemoReport } from './demo-report';
import { renderReportHtml } from './report-html';
import { renderReportMarkdown } from './report-markdown';
import { renderReportPlots, type MarginResolver } from './report-plots';

export interface WriteReportOptions {
  /** Rebuilds margins for the target-logit chart. */
  readonly resolveMargin: MarginResolver;
  /** Also write `plots/<id>.png` beside each SVG. Default true. */
  readonly png?: boolean;
}

/**
 * Writes a report folder: `report.json` (the numbers), `report.md`, a self-contained
 * `index.html`, and `plots/<id>.svg` (and `.png`) for every chart. Returns the paths written.
 *
 * @example
 * ```ts
 * await writeReport('./arcface-report', report, { resolveMargin: (s) => createMargin(s.name, s.options) });
 * ```
 */
export async function writeReport(dir: string, report: DemoReport, options: WriteReportOptions): Promise<string[]> {
  const plotsDir = join(dir, 'plots');
  await mkdir(plotsDir, { recursive: true });
  const plots = await renderReportPlots(report, options.resolveMargin);
  const written: string[] = [];
  const put = async (path: string, data: string | Uint8Array): Promise<void> => {
    await writeFile(path, data);
    written.push(path);
  };
  await put(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await put(join(dir, 'report.md'), renderReportMarkdown(report, plots));
  await put(join(dir, 'index.html'), renderReportHtml(report, plots));
  for (const plot of plots) {
    await put(join(plotsDir, `${plot.id}.svg`), plot.svg);
    if (options.png !== false) await put(join(plotsDir, `${plot.id}.png`), await svgToPng(plot.svg, { scale: 2 }));
  }
  return written;
}

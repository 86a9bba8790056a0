import type { DemoReport } from './demo-report';
import type { ReportPlot } from './report-plots';
import { headline, reportTables, type ReportTable } from './report-tables';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlTable(table: ReportTable): string {
  const head = table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = table.rows.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  const note = table.note === undefined ? '' : `<p class="note">${escapeHtml(table.note)}</p>`;
  return `<section id="${escapeHtml(table.id)}"><h2>${escapeHtml(table.title)}</h2>\n<table><thead><tr>${head}</tr></thead>\n<tbody>${body}</tbody></table>${note}</section>`;
}

/** Strips the XML prolog so an SVG document can sit inside HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

// Everything the page needs is inside it: no script, no external style sheet, font or image,
// so it opens from a file:// URL with no network.
const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1180px; padding: 0 16px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; font-size: 13px; }
.headline { background: #eef5ee; border-left: 4px solid #59a14f; padding: 10px 14px; font-size: 15px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
tbody tr:nth-child(even) { background: #fafafa; }
.note { color: #555; font-size: 12px; max-width: 900px; }
figure { margin: 12px 0; }
figure.half { flex: 1 1 520px; max-width: 570px; }
figure.wide { flex: 1 1 100%; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 12px; max-width: 900px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px 28px; }
`;

/**
 * `index.html`: a self-contained page with the headline, the tables and every chart inlined
 * as SVG.
 *
 * @example
 * ```ts
 * writeFileSync('index.html', renderReportHtml(report, await renderReportPlots(report, resolve)));
 * ```
 */
export function renderReportHtml(report: DemoReport, plots: readonly ReportPlot[]): string {
  const head = headline(report);
  const figures = plots
    .map(
      (p) =>
        // The chart carries its own title; wide charts (the two toy panels) take a full row.
        `<figure id="plot-${escapeHtml(p.id)}" class="${p.width > 720 ? 'wide' : 'half'}" aria-label="${escapeHtml(p.title)}">\n${inlineSvg(p.svg)}\n<figcaption>${escapeHtml(p.caption)}</figcaption></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ArcFace demo report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>ArcFace demo report</h1>
<p class="meta">${escapeHtml(`${report.createdAt} · ${report.command} · backend ${report.environment.backend}`)}</p>
${head === undefined ? '' : `<p class="headline">${escapeHtml(head)}</p>`}
${reportTables(report).map(htmlTable).join('\n')}
<section id="charts"><h2>Charts</h2>
<div class="grid">
${figures}
</div>
</section>
</body>
</html>
`;
}

import type { DemoReport } from './demo-report';
import { headline, reportTables, type ReportTable } from './report-tables';

/** Escapes the characters that break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One table as GitHub-flavoured Markdown. */
export function markdownTable(table: Pick<ReportTable, 'header' | 'rows'>): string {
  const lines = [
    `| ${table.header.map(cell).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/**
 * `report.md`: the headline, every table and links to the charts (`plots/<id>.svg`).
 *
 * @example
 * ```ts
 * writeFileSync('report.md', renderReportMarkdown(report, [{ id: 'loss', title: 'Training loss' }]));
 * ```
 */
export function renderReportMarkdown(report: DemoReport, plots: ReadonlyArray<{ id: string; title: string; caption?: string }>): string {
  const parts: string[] = ['# ArcFace demo report', ''];
  parts.push(`Run on ${report.createdAt} with \`${report.command}\` (backend ${report.environment.backend}).`, '');
  const head = headline(report);
  if (head !== undefined) parts.push(`**${head}**`, '');
  for (const table of reportTables(report)) {
    parts.push(`## ${table.title}`, '', markdownTable(table), '');
    if (table.note !== undefined) parts.push(table.note, '');
  }
  if (plots.length > 0) {
    parts.push('## Charts', '');
    for (const plot of plots) {
      parts.push(`### ${plot.title}`, '', `![${plot.title}](plots/${plot.id}.svg)`, '');
      if (plot.caption !== undefined) parts.push(plot.caption, '');
    }
  }
  return parts.join('\n');
}

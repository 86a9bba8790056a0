import { s } from '../ui/dom';
import { linePath } from './line-path';
import { linearScale, niceTicks } from './scale';

export interface LineSeries {
  readonly id: string;
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface LinePlotSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xDomain: readonly [number, number];
  readonly yDomain: readonly [number, number];
  readonly xTicks?: readonly number[];
  readonly series: readonly LineSeries[];
  readonly width?: number;
  readonly height?: number;
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

/**
 * Draws a line chart into `svg`, replacing what was there. Everything is inline attributes
 * (no stylesheet), so the exported SVG and PNG look like the page. Each series' path carries
 * `data-series` so tests can read it back.
 */
export function renderLinePlot(svg: SVGSVGElement, spec: LinePlotSpec): void {
  const width = spec.width ?? 640;
  const height = spec.height ?? 360;
  const margin = { left: 52, right: 12, top: 28, bottom: 40 };
  const x = linearScale(spec.xDomain, [margin.left, width - margin.right]);
  const y = linearScale(spec.yDomain, [height - margin.bottom, margin.top]);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', spec.title);
  svg.replaceChildren();
  svg.append(s('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }));
  svg.append(s('text', { x: margin.left, y: 18, 'font-family': FONT, 'font-size': 13, 'font-weight': 600, fill: '#1b1f24' }, spec.title));
  const grid = s('g', { stroke: '#e3e6ea', 'stroke-width': 1 });
  const labels = s('g', { 'font-family': FONT, 'font-size': 11, fill: '#57606a' });
  for (const tick of spec.xTicks ?? niceTicks(spec.xDomain[0], spec.xDomain[1], 6)) {
    grid.append(s('line', { x1: x(tick), x2: x(tick), y1: margin.top, y2: height - margin.bottom }));
    labels.append(s('text', { x: x(tick), y: height - margin.bottom + 15, 'text-anchor': 'middle' }, String(tick)));
  }
  for (const tick of niceTicks(spec.yDomain[0], spec.yDomain[1], 6)) {
    grid.append(s('line', { x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }));
    labels.append(s('text', { x: margin.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(tick).replace('-', '−')));
  }
  labels.append(s('text', { x: (margin.left + width - margin.right) / 2, y: height - 6, 'text-anchor': 'middle' }, spec.xLabel));
  labels.append(
    s('text', { x: 12, y: (margin.top + height - margin.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(margin.top + height - margin.bottom) / 2})` }, spec.yLabel),
  );
  svg.append(grid, labels);
  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  svg.append(
    s('defs', {}, s('clipPath', { id: clipId }, s('rect', { x: margin.left, y: margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom }))),
  );
  const lines = s('g', { 'clip-path': `url(#${clipId})`, fill: 'none', 'stroke-width': 2, 'stroke-linejoin': 'round' });
  for (const series of spec.series) {
    lines.append(
      s('path', {
        d: linePath(series.points, x, y),
        stroke: series.color,
        'stroke-dasharray': series.dashed ? '5 4' : undefined,
        'data-series': series.id,
      }),
    );
  }
  svg.append(lines);
  svg.append(s('rect', { x: margin.left, y: margin.top, width: width - margin.left - margin.right, height: height - margin.top - margin.bottom, fill: 'none', stroke: '#8c959f' }));
}

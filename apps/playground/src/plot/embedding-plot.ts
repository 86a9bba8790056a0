import { s } from '../ui/dom';
import { colorAt, IDENTITY_COLORS } from './colors';
import { projectSphere } from './sphere-projection';

export interface EmbeddingPlotSpec {
  readonly title: string;
  readonly dimension: 2 | 3;
  /** Unit features, `count × dimension`. */
  readonly points: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  /** Unit class centres, `classes × dimension`. */
  readonly centers: ArrayLike<number>;
  /** View angles of the sphere (radians); ignored in 2-D. */
  readonly yaw?: number;
  readonly pitch?: number;
  readonly size?: number;
}

/**
 * Draws features on the unit circle (2-D) or an orthographic view of the unit sphere (3-D),
 * coloured by identity, with each class centre's direction as a line from the origin — the
 * paper's Fig. 3. In 3-D the far hemisphere is drawn faint and behind. Points carry
 * `data-label`, so tests can check that they move.
 */
export function renderEmbeddingPlot(svg: SVGSVGElement, spec: EmbeddingPlotSpec): void {
  const size = spec.size ?? 360;
  const c = size / 2;
  const r = size * 0.4;
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', spec.title);
  svg.replaceChildren();
  svg.append(s('rect', { x: 0, y: 0, width: size, height: size, fill: '#ffffff' }));
  svg.append(s('text', { x: 10, y: 20, 'font-family': 'system-ui, sans-serif', 'font-size': 13, 'font-weight': 600, fill: '#1b1f24' }, spec.title));
  svg.append(s('circle', { cx: c, cy: c, r, fill: spec.dimension === 3 ? '#f6f8fa' : 'none', stroke: '#8c959f', 'stroke-width': 1 }));
  const dim = spec.dimension;
  const project = (values: ArrayLike<number>, i: number): { u: number; v: number; depth: number } => {
    if (dim === 2) return { u: values[i * 2] as number, v: values[i * 2 + 1] as number, depth: 1 };
    return projectSphere([values[i * 3] as number, values[i * 3 + 1] as number, values[i * 3 + 2] as number], spec.yaw ?? 0.6, spec.pitch ?? 0.35);
  };
  const count = spec.labels.length;
  const order = Array.from({ length: count }, (_, i) => ({ i, p: project(spec.points, i) })).sort((a, b) => a.p.depth - b.p.depth);
  const dots = s('g', { 'data-role': 'points' });
  for (const { i, p } of order) {
    const label = spec.labels[i] as number;
    const front = p.depth >= 0;
    dots.append(
      s('circle', {
        cx: round(c + r * p.u),
        cy: round(c - r * p.v),
        r: front ? 3 : 2.2,
        fill: colorAt(IDENTITY_COLORS, label),
        'fill-opacity': front ? 0.85 : 0.25,
        'data-label': label,
      }),
    );
  }
  svg.append(dots);
  const classes = spec.centers.length / dim;
  const axes = s('g', { 'stroke-width': 2, 'data-role': 'centers' });
  for (let k = 0; k < classes; k += 1) {
    const p = project(spec.centers, k);
    axes.append(
      s('line', {
        x1: c,
        y1: c,
        x2: round(c + r * 1.12 * p.u),
        y2: round(c - r * 1.12 * p.v),
        stroke: colorAt(IDENTITY_COLORS, k),
        'stroke-opacity': p.depth >= 0 ? 1 : 0.35,
      }),
    );
  }
  svg.append(axes);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

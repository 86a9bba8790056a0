import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, SERIES_COLORS } from './theme';

/** One side of the toy experiment: 2-D features, class centres and the measured gap. */
export interface ToyPanel {
  readonly title: string;
  /** 2-D features with their identity; drawn normalised onto the unit circle. */
  readonly features: ReadonlyArray<{ readonly x: number; readonly y: number; readonly label: number }>;
  /** Class-centre directions (rows of the classifier), drawn as rays. */
  readonly centers: ReadonlyArray<{ readonly x: number; readonly y: number; readonly label: number }>;
  /** Geodesic gap between the nearest classes, degrees (negative: the classes overlap). */
  readonly gapDegrees: number;
}

const PANEL_SIZE = 320;
const EXTENT = 1.3;

function unit(x: number, y: number): { x: number; y: number } {
  const norm = Math.hypot(x, y);
  // A zero feature has no direction; it is drawn at the origin rather than dropped, so it stays visible.
  return norm > 0 ? { x: x / norm, y: y / norm } : { x: 0, y: 0 };
}

function panelSpec(panel: ToyPanel, labels: readonly string[]) {
  const circle = Array.from({ length: 361 }, (_, i) => ({
    x: Math.cos((i * Math.PI) / 180),
    y: Math.sin((i * Math.PI) / 180),
    order: i,
  }));
  const features = panel.features
    .filter((f) => Number.isFinite(f.x) && Number.isFinite(f.y))
    .map((f) => ({ ...unit(f.x, f.y), identity: `identity ${f.label}` }));
  if (features.length === 0) throw new PlotInputError(`toy panel '${panel.title}' has no finite feature`);
  const rays = panel.centers.map((c) => {
    const u = unit(c.x, c.y);
    return { x: 0, y: 0, x2: 1.2 * u.x, y2: 1.2 * u.y, identity: `identity ${c.label}` };
  });
  const scale = { domain: [-EXTENT, EXTENT], nice: false };
  const x = { field: 'x', type: 'quantitative' as const, scale, axis: null };
  const y = { field: 'y', type: 'quantitative' as const, scale, axis: null };
  const color = {
    field: 'identity',
    type: 'nominal' as const,
    title: 'identity',
    scale: { domain: labels, range: labels.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length] as string) },
  };
  const gapText = `nearest-class geodesic gap: ${panel.gapDegrees.toFixed(1)}°${panel.gapDegrees < 0 ? ' (overlap)' : ''}`;
  return {
    title: { text: panel.title, subtitle: gapText, subtitleFontSize: 12, subtitleColor: panel.gapDegrees > 0 ? '#2a7a2a' : '#b03030' },
    width: PANEL_SIZE,
    height: PANEL_SIZE,
    layer: [
      {
        data: { values: circle },
        mark: { type: 'line' as const, color: '#bbbbbb', strokeWidth: 1 },
        encoding: { x, y, order: { field: 'order', type: 'quantitative' as const } },
      },
      {
        data: { values: rays },
        mark: { type: 'rule' as const, strokeWidth: 1.5, strokeDash: [5, 3] },
        encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, color },
      },
      {
        data: { values: features },
        mark: { type: 'circle' as const, size: 14, opacity: 0.55 },
        encoding: { x, y, color },
      },
    ],
  };
}

/** The Vega-Lite spec behind {@link plotToyEmbedding}. */
export function toyEmbeddingSpec(panels: readonly ToyPanel[], options: { title?: string } = {}): ChartSpec {
  if (panels.length === 0) throw new PlotInputError('the toy plot needs at least one panel, got 0');
  const labelIds = [...new Set(panels.flatMap((p) => [...p.features.map((f) => f.label), ...p.centers.map((c) => c.label)]))].sort((a, b) => a - b);
  const labels = labelIds.map((l) => `identity ${l}`);
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...PLOT_CONFIG, view: { stroke: null } },
    title: options.title ?? 'Toy experiment: 8 identities, 2-D features on the circle (dashed rays: class centres)',
    hconcat: panels.map((p) => panelSpec(p, labels)),
    resolve: { scale: { color: 'shared' } },
  });
}

/**
 * The paper's Fig. 3: 2-D features of a few identities normalised onto the unit circle, one
 * panel per loss (softmax beside ArcFace), each with its class-centre rays and the measured
 * geodesic gap between the nearest classes written under its title.
 *
 * @example
 * ```ts
 * await plotToyEmbedding([{ title: 'ArcFace', features: [{ x: 1, y: 0, label: 0 }], centers: [{ x: 1, y: 0, label: 0 }], gapDegrees: 12 }]);
 * ```
 */
export function plotToyEmbedding(panels: readonly ToyPanel[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(toyEmbeddingSpec(panels, options));
}

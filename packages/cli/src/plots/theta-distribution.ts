import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, PLOT_WIDTH, seriesColorScale } from './theme';

/** Summary of the target angles θ_y (degrees) of one batch or evaluation set at one step. */
export interface ThetaSnapshot {
  readonly step: number;
  readonly mean: number;
  /** 10th, 50th and 90th percentiles. */
  readonly q10: number;
  readonly q50: number;
  readonly q90: number;
}

export interface ThetaSeries {
  readonly name: string;
  readonly points: readonly ThetaSnapshot[];
}

/** The Vega-Lite spec behind {@link plotThetaDistribution}. */
export function thetaDistributionSpec(series: readonly ThetaSeries[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('the θ_y plot needs at least one series, got 0');
  const values = series.flatMap((s) =>
    s.points
      .filter((p) => [p.mean, p.q10, p.q50, p.q90].every(Number.isFinite))
      .map((p) => ({ series: s.name, step: p.step, mean: p.mean, q10: p.q10, q50: p.q50, q90: p.q90 })),
  );
  for (const s of series) {
    if (!values.some((v) => v.series === s.name)) throw new PlotInputError(`θ_y series '${s.name}' has no finite point`);
  }
  const color = { field: 'series', type: 'nominal' as const, title: 'margin', scale: seriesColorScale(series.map((s) => s.name)) };
  const x = { field: 'step', type: 'quantitative' as const, title: 'step' };
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: { text: options.title ?? 'Target angle θ_y over training', subtitle: 'line: mean; band: 10th to 90th percentile' },
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.15 },
        encoding: {
          x,
          y: { field: 'q10', type: 'quantitative', title: 'θ_y (degrees)', scale: { domain: [0, 100] } },
          y2: { field: 'q90' },
          color,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 1.8, point: { size: 18 } },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, color },
      },
    ],
  });
}

/**
 * The distribution of the target angle θ_y between each sample and its class centre as
 * training proceeds (the paper's Fig. 4a: it starts near 90° and falls), one band per run.
 *
 * @example
 * ```ts
 * await plotThetaDistribution([{ name: 'ArcFace', points: [{ step: 0, mean: 89, q10: 85, q50: 89, q90: 93 }] }]);
 * ```
 */
export function plotThetaDistribution(series: readonly ThetaSeries[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(thetaDistributionSpec(series, options));
}

import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, seriesColorScale } from './theme';

/** One run's angle statistics in degrees, keyed by the statistic's name (W-EC, W-Inter, Intra, Inter). */
export interface AngleStatisticsSeries {
  readonly name: string;
  readonly values: Readonly<Record<string, number>>;
}

/** The Vega-Lite spec behind {@link plotAngleStatistics}. */
export function angleStatisticsSpec(series: readonly AngleStatisticsSeries[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('angle statistics need at least one series, got 0');
  const statistics = [...new Set(series.flatMap((s) => Object.keys(s.values)))];
  if (statistics.length === 0) throw new PlotInputError('angle statistics: no statistic given');
  const values = series.flatMap((s) =>
    Object.entries(s.values)
      .filter(([, v]) => Number.isFinite(v))
      .map(([statistic, degrees]) => ({ series: s.name, statistic, degrees, text: degrees.toFixed(1) })),
  );
  const names = series.map((s) => s.name);
  const x = { field: 'statistic', type: 'nominal' as const, title: null, sort: statistics, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal' as const, sort: names };
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: options.title ?? 'Angle statistics (the paper\'s Table 3), degrees',
    width: Math.max(360, statistics.length * series.length * 26),
    height: PLOT_HEIGHT,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          xOffset,
          y: { field: 'degrees', type: 'quantitative', title: 'degrees' },
          color: { field: 'series', type: 'nominal', title: 'margin', scale: seriesColorScale(names) },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 9, color: '#333333' },
        encoding: { x, xOffset, y: { field: 'degrees', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  });
}

/**
 * Grouped bars of the paper's Table 3 statistics (W-EC, W-Inter, Intra, Inter) per run.
 *
 * @example
 * ```ts
 * await plotAngleStatistics([{ name: 'ArcFace', values: { 'W-EC': 14.3, 'W-Inter': 71.6, Intra: 38.5, Inter: 65.8 } }]);
 * ```
 */
export function plotAngleStatistics(series: readonly AngleStatisticsSeries[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(angleStatisticsSpec(series, options));
}

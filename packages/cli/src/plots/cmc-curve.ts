import { chartSpec, type ChartSpec } from './chart-spec';
import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, seriesColorScale } from './theme';

/** A cumulative match characteristic: `rates[r − 1]` is the identification rate at rank r. */
export interface CmcSeries {
  readonly name: string;
  readonly rates: readonly number[];
}

/** The Vega-Lite spec behind {@link plotCmcCurves}. */
export function cmcCurvesSpec(series: readonly CmcSeries[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('CMC curves need at least one series, got 0');
  const values: Array<{ series: string; rank: number; rate: number }> = [];
  for (const s of series) {
    if (s.rates.length === 0) throw new PlotInputError(`CMC series '${s.name}' has no rank`);
    s.rates.forEach((rate, i) => {
      if (!(rate >= 0 && rate <= 1)) throw new PlotInputError(`CMC series '${s.name}': rate ${rate} at rank ${i + 1} is not in [0, 1]`);
      values.push({ series: s.name, rank: i + 1, rate });
    });
  }
  const lowest = Math.min(...values.map((v) => v.rate));
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: options.title ?? 'Cumulative match characteristic',
    width: PLOT_HEIGHT + 120,
    height: PLOT_HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 1.8 },
    encoding: {
      x: { field: 'rank', type: 'quantitative', title: 'rank', scale: { domain: [1, Math.max(...series.map((s) => s.rates.length))] }, axis: { tickMinStep: 1 } },
      // The interesting part is near the top: start the axis a little under the lowest rate.
      y: { field: 'rate', type: 'quantitative', title: 'identification rate', scale: { domain: [Math.max(0, Math.floor((lowest - 0.05) * 20) / 20), 1] } },
      color: { field: 'series', type: 'nominal', title: 'search', scale: seriesColorScale(series.map((s) => s.name)) },
      // Dashed second line: an index that matches exact search would otherwise hide under it.
      strokeDash: { field: 'series', type: 'nominal', legend: null, scale: { domain: series.map((s) => s.name), range: series.map((_, i) => (i === 0 ? [1, 0] : [6, 4])) } },
    },
  });
}

/**
 * CMC curves of an identification benchmark, one line per search (index, exact).
 *
 * @example
 * ```ts
 * await plotCmcCurves([{ name: 'HNSW', rates: [0.9, 0.95, 0.97] }]);
 * ```
 */
export function plotCmcCurves(series: readonly CmcSeries[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(cmcCurvesSpec(series, options));
}

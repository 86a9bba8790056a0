import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, PLOT_WIDTH, seriesColorScale } from './theme';

/** One training run's loss over steps. */
export interface LossSeries {
  readonly name: string;
  readonly points: ReadonlyArray<{ readonly step: number; readonly loss: number }>;
}

export interface LossCurvesOptions {
  readonly title?: string;
  /** Log-scale loss axis: margin losses start near log(C) + s·m and fall by orders of magnitude. */
  readonly logScale?: boolean;
}

/** The Vega-Lite spec behind {@link plotLossCurves}, for callers that render elsewhere. */
export function lossCurvesSpec(series: readonly LossSeries[], options: LossCurvesOptions = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('loss curves need at least one series, got 0');
  const values = series.flatMap((s) =>
    s.points.filter((p) => Number.isFinite(p.loss) && (!options.logScale || p.loss > 0)).map((p) => ({ series: s.name, step: p.step, loss: p.loss })),
  );
  for (const s of series) {
    if (!values.some((v) => v.series === s.name)) throw new PlotInputError(`loss series '${s.name}' has no finite point`);
  }
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: options.title ?? 'Training loss',
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.6 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'loss',
        type: 'quantitative',
        title: 'loss (cross-entropy)',
        scale: options.logScale ? { type: 'log' } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: 'margin', scale: seriesColorScale(series.map((s) => s.name)) },
    },
  });
}

/**
 * Loss over training steps, one line per run.
 *
 * @example
 * ```ts
 * const { svg } = await plotLossCurves([{ name: 'ArcFace', points: [{ step: 0, loss: 9.1 }, { step: 10, loss: 4.2 }] }]);
 * ```
 */
export function plotLossCurves(series: readonly LossSeries[], options: LossCurvesOptions = {}): Promise<RenderedPlot> {
  return renderVegaLite(lossCurvesSpec(series, options));
}

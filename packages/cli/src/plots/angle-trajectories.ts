import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, seriesColorScale } from './theme';

/** The paper's Table 3 statistics (degrees) of one run at one training step. */
export interface AngleSnapshot {
  readonly step: number;
  readonly wEc: number;
  readonly wInter: number;
  readonly intra: number;
  readonly inter: number;
}

export interface AngleTrajectory {
  readonly name: string;
  readonly points: readonly AngleSnapshot[];
}

const STATISTICS = [
  ['wEc', 'W-EC'],
  ['wInter', 'W-Inter'],
  ['intra', 'Intra'],
  ['inter', 'Inter'],
] as const;

/** The Vega-Lite spec behind {@link plotAngleTrajectories}. */
export function angleTrajectoriesSpec(series: readonly AngleTrajectory[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('angle trajectories need at least one run, got 0');
  const values = series.flatMap((s) =>
    s.points.flatMap((p) => STATISTICS.filter(([key]) => Number.isFinite(p[key])).map(([key, statistic]) => ({ series: s.name, step: p.step, statistic, degrees: p[key] }))),
  );
  for (const s of series) {
    if (!values.some((v) => v.series === s.name)) throw new PlotInputError(`angle trajectory '${s.name}' has no finite point`);
  }
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: { text: options.title ?? "The paper's Table 3 over training", subtitle: 'degrees, on training images against the current class centres' },
    data: { values },
    facet: { field: 'statistic', type: 'nominal', title: null, sort: STATISTICS.map(([, name]) => name), header: { labelFontSize: 12 } },
    columns: 4,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 210,
      height: 200,
      mark: { type: 'line', strokeWidth: 1.8, point: { size: 14 } },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'degrees', type: 'quantitative', title: 'degrees', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: 'margin', scale: seriesColorScale(series.map((s) => s.name)) },
      },
    },
  });
}

/**
 * W-EC, W-Inter, Intra and Inter (the paper's Table 3) as training proceeds, one panel per
 * statistic and one line per margin: a margin should drive W-EC and Intra down faster.
 *
 * @example
 * ```ts
 * await plotAngleTrajectories([{ name: 'ArcFace', points: [{ step: 0, wEc: 88, wInter: 80, intra: 40, inter: 30 }] }]);
 * ```
 */
export function plotAngleTrajectories(series: readonly AngleTrajectory[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(angleTrajectoriesSpec(series, options));
}

import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, PLOT_WIDTH, seriesColorScale } from './theme';

/** Smallest angle between class centres (degrees) at one number of classes. */
export interface ClassCountPoint {
  readonly classes: number;
  /** Minimum over pairs of trained class centres. */
  readonly trained: number;
  /** The same for random centres (mean over draws). */
  readonly random: number;
}

/** The Vega-Lite spec behind {@link plotClassCountAngles}. */
export function classCountAnglesSpec(points: readonly ClassCountPoint[], options: { title?: string; trainedLabel?: string } = {}): ChartSpec {
  const finite = points.filter((p) => p.classes >= 2 && Number.isFinite(p.trained) && Number.isFinite(p.random));
  if (finite.length === 0) throw new PlotInputError('the class-count chart needs at least one point with ≥ 2 classes and finite angles');
  const trainedLabel = options.trainedLabel ?? 'trained centres';
  const values = finite.flatMap((p) => [
    { classes: p.classes, degrees: p.trained, series: trainedLabel },
    { classes: p.classes, degrees: p.random, series: 'random centres' },
  ]);
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: { text: options.title ?? 'Smallest angle between class centres', subtitle: 'against the number of classes (log scale)' },
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.8, point: { size: 30 } },
    encoding: {
      x: { field: 'classes', type: 'quantitative', title: 'classes', scale: { type: 'log' }, axis: { values: finite.map((p) => p.classes) } },
      y: { field: 'degrees', type: 'quantitative', title: 'min angle between centres (degrees)', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: seriesColorScale([trainedLabel, 'random centres']) },
    },
  });
}

/**
 * The paper's appendix claim at our scale: the smallest angle between trained class centres
 * falls slowly as classes are added, drawn beside the same statistic for random centres.
 *
 * @example
 * ```ts
 * await plotClassCountAngles([{ classes: 8, trained: 80, random: 62 }, { classes: 32, trained: 71, random: 52 }]);
 * ```
 */
export function plotClassCountAngles(points: readonly ClassCountPoint[], options: { title?: string; trainedLabel?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(classCountAnglesSpec(points, options));
}

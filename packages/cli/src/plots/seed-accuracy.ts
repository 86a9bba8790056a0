import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, seriesColorScale } from './theme';

/** One margin's held-out accuracy on every seed, with the mean and its interval. */
export interface SeedAccuracySeries {
  readonly name: string;
  /** Accuracy per seed, in [0, 1]. */
  readonly values: ReadonlyArray<{ readonly seed: number; readonly accuracy: number }>;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

/** The Vega-Lite spec behind {@link plotSeedAccuracy}. */
export function seedAccuracySpec(series: readonly SeedAccuracySeries[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('the seed chart needs at least one margin, got 0');
  const names = series.map((s) => s.name);
  const dots = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v.accuracy)).map((v) => ({ series: s.name, seed: `seed ${v.seed}`, percent: 100 * v.accuracy })));
  if (dots.length === 0) throw new PlotInputError('the seed chart has no finite accuracy');
  const intervals = series.filter((s) => Number.isFinite(s.mean)).map((s) => ({ series: s.name, mean: 100 * s.mean, low: 100 * (Number.isFinite(s.low) ? s.low : s.mean), high: 100 * (Number.isFinite(s.high) ? s.high : s.mean) }));
  const y = { field: 'series', type: 'nominal' as const, title: null, sort: names };
  const color = { field: 'series', type: 'nominal' as const, legend: null, scale: seriesColorScale(names) };
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: { text: options.title ?? 'Held-out accuracy per seed', subtitle: 'dots: seeds; bar: mean with its 95% t interval' },
    width: 440,
    height: Math.max(120, 34 * series.length),
    layer: [
      {
        data: { values: intervals },
        mark: { type: 'rule', strokeWidth: 3, opacity: 0.55 },
        encoding: { y, x: { field: 'low', type: 'quantitative', title: 'held-out accuracy (%)', scale: { zero: false } }, x2: { field: 'high' }, color },
      },
      {
        data: { values: intervals },
        mark: { type: 'tick', thickness: 3, size: 22 },
        encoding: { y, x: { field: 'mean', type: 'quantitative' }, color },
      },
      {
        data: { values: dots },
        mark: { type: 'circle', size: 46, opacity: 0.8 },
        encoding: { y, x: { field: 'percent', type: 'quantitative' }, color, tooltip: [{ field: 'seed' }] },
      },
    ],
  });
}

/**
 * Held-out accuracy of every margin on every seed, with the mean and its 95% interval: the
 * spread that one seed would hide.
 *
 * @example
 * ```ts
 * await plotSeedAccuracy([{ name: 'ArcFace', values: [{ seed: 1, accuracy: 0.93 }, { seed: 2, accuracy: 0.95 }], mean: 0.94, low: 0.87, high: 1 }]);
 * ```
 */
export function plotSeedAccuracy(series: readonly SeedAccuracySeries[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(seedAccuracySpec(series, options));
}

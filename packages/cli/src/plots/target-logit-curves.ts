import type { MarginFn } from '@arcface/margins';
import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, PLOT_WIDTH, seriesColorScale } from './theme';

/** A margin to draw: anything with a scalar target logit t(θ), labelled for the legend. */
export interface TargetLogitSeries {
  readonly name: string;
  readonly margin: Pick<MarginFn, 'targetLogit'>;
}

export interface TargetLogitOptions {
  readonly title?: string;
  /** Number of θ samples on [0°, 180°]; 181 gives one per degree. */
  readonly samples?: number;
  /** Training step passed to `targetLogit`, for scheduled margins (SphereFace's λ). */
  readonly step?: number;
}

/** Samples t(θ) of each margin on a grid of θ in degrees. Non-finite values are dropped. */
export function sampleTargetLogits(
  series: readonly TargetLogitSeries[],
  options: TargetLogitOptions = {},
): Array<{ series: string; thetaDeg: number; target: number }> {
  const samples = options.samples ?? 181;
  if (!Number.isInteger(samples) || samples < 2) throw new PlotInputError(`samples must be an integer ≥ 2, got ${samples}`);
  const out: Array<{ series: string; thetaDeg: number; target: number }> = [];
  for (const s of series) {
    for (let i = 0; i < samples; i += 1) {
      const thetaDeg = (180 * i) / (samples - 1);
      const target = s.margin.targetLogit((thetaDeg * Math.PI) / 180, options.step);
      if (Number.isFinite(target)) out.push({ series: s.name, thetaDeg, target });
    }
  }
  return out;
}

/** The Vega-Lite spec behind {@link plotTargetLogitCurves}. */
export function targetLogitCurvesSpec(series: readonly TargetLogitSeries[], options: TargetLogitOptions = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('target-logit curves need at least one margin, got 0');
  const values = sampleTargetLogits(series, options);
  for (const s of series) {
    if (!values.some((v) => v.series === s.name)) throw new PlotInputError(`margin '${s.name}' gave no finite t(θ)`);
  }
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: options.title ?? 'Target logit t(θ) of each margin (the trained logit is s·t)',
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: { field: 'thetaDeg', type: 'quantitative', title: 'angle θ between feature and target centre (degrees)', scale: { domain: [0, 180] } },
      y: { field: 'target', type: 'quantitative', title: 'target logit t(θ)' },
      color: { field: 'series', type: 'nominal', title: 'margin', scale: seriesColorScale(series.map((s) => s.name)) },
    },
  });
}

/**
 * The paper's Fig. 4b: the target logit t(θ) against θ for every margin given, from each
 * margin's own float64 `targetLogit`.
 *
 * @example
 * ```ts
 * import { createMargin } from '@arcface/margins';
 * const arc = createMargin('additive-angular');
 * const { svg } = await plotTargetLogitCurves([{ name: 'ArcFace', margin: arc }]);
 * ```
 */
export function plotTargetLogitCurves(series: readonly TargetLogitSeries[], options: TargetLogitOptions = {}): Promise<RenderedPlot> {
  return renderVegaLite(targetLogitCurvesSpec(series, options));
}

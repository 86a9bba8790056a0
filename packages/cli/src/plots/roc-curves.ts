import { chartSpec, type ChartSpec } from './chart-spec';

import { PlotInputError } from './plot-error';
import { renderVegaLite, type RenderedPlot } from './render';
import { PLOT_CONFIG, PLOT_HEIGHT, seriesColorScale } from './theme';

/** A ROC curve: true-positive rate against false-positive rate over thresholds. */
export interface RocSeries {
  readonly name: string;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  /** Area under the curve, shown in the legend when given. */
  readonly auc?: number;
}

/** The Vega-Lite spec behind {@link plotRocCurves}. */
export function rocCurvesSpec(series: readonly RocSeries[], options: { title?: string } = {}): ChartSpec {
  if (series.length === 0) throw new PlotInputError('ROC curves need at least one series, got 0');
  const names = series.map((s) => (s.auc === undefined ? s.name : `${s.name} (AUC ${s.auc.toFixed(4)})`));
  const values: Array<{ series: string; fpr: number; tpr: number; order: number }> = [];
  series.forEach((s, k) => {
    if (s.fpr.length !== s.tpr.length) {
      throw new PlotInputError(`ROC series '${s.name}': ${s.fpr.length} FPR values but ${s.tpr.length} TPR values`);
    }
    // Sorted by FPR then TPR, so the line runs monotonically from (0, 0) to (1, 1).
    const points = s.fpr
      .map((f, i) => ({ fpr: f, tpr: s.tpr[i] as number }))
      .filter((p) => Number.isFinite(p.fpr) && Number.isFinite(p.tpr))
      .sort((a, b) => a.fpr - b.fpr || a.tpr - b.tpr);
    if (points.length === 0) throw new PlotInputError(`ROC series '${s.name}' has no finite point`);
    points.forEach((p, order) => values.push({ series: names[k] as string, fpr: p.fpr, tpr: p.tpr, order }));
  });
  const axisScale = { domain: [0, 1] };
  return chartSpec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: PLOT_CONFIG,
    title: options.title ?? 'ROC on held-out identities',
    width: PLOT_HEIGHT + 40,
    height: PLOT_HEIGHT + 40,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999999', strokeWidth: 1 },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.8, interpolate: 'step-after' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false accept rate (FPR)', scale: axisScale },
          y: { field: 'tpr', type: 'quantitative', title: 'true accept rate (TPR)', scale: axisScale },
          order: { field: 'order', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: 'margin', scale: seriesColorScale(names) },
        },
      },
    ],
  });
}

/**
 * ROC curves of verification runs, one line per run, with the chance diagonal.
 *
 * @example
 * ```ts
 * await plotRocCurves([{ name: 'ArcFace', fpr: [0, 0.1, 1], tpr: [0, 0.9, 1], auc: 0.95 }]);
 * ```
 */
export function plotRocCurves(series: readonly RocSeries[], options: { title?: string } = {}): Promise<RenderedPlot> {
  return renderVegaLite(rocCurvesSpec(series, options));
}

import { describe, expect, it } from 'vitest';

import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { plotRocCurves, rocCurvesSpec } from './roc-curves';
import { dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';

const series = [
  { name: 'ArcFace', fpr: [1, 0.5, 0.1, 0.01, 0], tpr: [1, 0.99, 0.95, 0.7, 0], auc: 0.9712 },
  { name: 'Norm-Softmax', fpr: [0, 0.2, 0.6, 1], tpr: [0, 0.6, 0.9, 1] },
];

describe('plotRocCurves', () => {
  it('draws the chance diagonal and one line per run, AUC in the legend', async () => {
    const { svg } = await plotRocCurves(series);
    const tree = parseSvg(svg);
    expect(dataMarkShapes(tree, 'line')).toHaveLength(3);
    expect(legendLabels(tree)).toEqual(['ArcFace (AUC 0.9712)', 'Norm-Softmax']);
  });

  it('sorts each curve by FPR so it runs from (0,0) to (1,1)', () => {
    const spec = rocCurvesSpec([series[0] as (typeof series)[0]]);
    const layer = (spec as { layer: Array<{ data: { values: Array<{ fpr: number; order: number }> } }> }).layer[1];
    const fprs = layer?.data.values.map((v) => v.fpr);
    expect(fprs).toEqual([0, 0.01, 0.1, 0.5, 1]);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotRocCurves(series)).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.01);
    expect(png.countColor('#f28e2b')).toBeGreaterThan(30);
  });

  it('refuses FPR and TPR arrays of different lengths', () => {
    expect(() => rocCurvesSpec([{ name: 'bad', fpr: [0, 1], tpr: [0] }])).toThrow(PlotInputError);
    expect(() => rocCurvesSpec([{ name: 'bad', fpr: [0, 1], tpr: [0] }])).toThrow(/2 FPR values but 1 TPR/);
  });
});

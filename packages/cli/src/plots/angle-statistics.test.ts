import { describe, expect, it } from 'vitest';

import { angleStatisticsSpec, plotAngleStatistics } from './angle-statistics';
import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { allTexts, dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';

// The paper's Table 3 (CASIA, R50) as input: four statistics for two losses.
const series = [
  { name: 'Norm-Softmax', values: { 'W-EC': 44.26, 'W-Inter': 69.66, Intra: 50.5, Inter: 59.23 } },
  { name: 'ArcFace', values: { 'W-EC': 14.29, 'W-Inter': 71.61, Intra: 38.45, Inter: 65.83 } },
];

describe('plotAngleStatistics', () => {
  it('draws one bar per statistic and run, each labelled with its value', async () => {
    const { svg } = await plotAngleStatistics(series);
    const tree = parseSvg(svg);
    expect(dataMarkShapes(tree, 'rect')).toHaveLength(8);
    expect(legendLabels(tree)).toEqual(['Norm-Softmax', 'ArcFace']);
    const texts = allTexts(tree);
    for (const value of ['44.3', '14.3', '71.6', '65.8']) expect(texts).toContain(value);
    for (const name of ['W-EC', 'W-Inter', 'Intra', 'Inter']) expect(texts).toContain(name);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotAngleStatistics(series)).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.05);
    expect(png.countColor('#4e79a7')).toBeGreaterThan(500);
  });

  it('refuses empty input', () => {
    expect(() => angleStatisticsSpec([])).toThrow(PlotInputError);
    expect(() => angleStatisticsSpec([{ name: 'x', values: {} }])).toThrow(PlotInputError);
  });
});

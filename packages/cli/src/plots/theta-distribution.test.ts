import { describe, expect, it } from 'vitest';

import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { plotThetaDistribution, thetaDistributionSpec } from './theta-distribution';
import { allTexts, dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';

const steps = [0, 50, 100, 150, 200];
const series = [
  { name: 'ArcFace', points: steps.map((step) => ({ step, mean: 90 - step / 4, q10: 80 - step / 4, q50: 90 - step / 4, q90: 96 - step / 4 })) },
  { name: 'Norm-Softmax', points: steps.map((step) => ({ step, mean: 90 - step / 8, q10: 82 - step / 8, q50: 90 - step / 8, q90: 97 - step / 8 })) },
];

describe('plotThetaDistribution', () => {
  it('draws a band and a mean line per run, with a point per snapshot', async () => {
    const { svg } = await plotThetaDistribution(series);
    const tree = parseSvg(svg);
    expect(dataMarkShapes(tree, 'area')).toHaveLength(2);
    expect(dataMarkShapes(tree, 'line')).toHaveLength(2);
    expect(dataMarkShapes(tree, 'symbol')).toHaveLength(2 * steps.length);
    expect(legendLabels(tree)).toEqual(['ArcFace', 'Norm-Softmax']);
    expect(allTexts(tree)).toContain('θ_y (degrees)');
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotThetaDistribution(series)).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.02);
    expect(png.countColor('#4e79a7')).toBeGreaterThan(50);
  });

  it('refuses a series with no finite snapshot', () => {
    expect(() => thetaDistributionSpec([{ name: 'x', points: [{ step: 0, mean: Number.NaN, q10: 1, q50: 1, q90: 1 }] }])).toThrow(PlotInputError);
  });
});

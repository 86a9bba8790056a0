import { describe, expect, it } from 'vitest';

import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { plotSeedAccuracy, seedAccuracySpec } from './seed-accuracy';
import { dataMarkShapes, parseSvg } from './svg-inspect';

const series = [
  { name: 'ArcFace', values: [0.93, 0.95, 0.94, 0.96, 0.92].map((accuracy, i) => ({ seed: i + 1, accuracy })), mean: 0.94, low: 0.92, high: 0.96 },
  { name: 'Norm-Softmax', values: [0.9, 0.91, 0.89, 0.92, 0.88].map((accuracy, i) => ({ seed: i + 1, accuracy })), mean: 0.9, low: 0.88, high: 0.92 },
];

describe('plotSeedAccuracy', () => {
  it('draws a dot per seed and an interval and a mean tick per margin', async () => {
    const { svg } = await plotSeedAccuracy(series);
    const tree = parseSvg(svg);
    // Vega draws circles as symbol marks and ticks as rect marks.
    expect(dataMarkShapes(tree, 'symbol')).toHaveLength(10);
    expect(dataMarkShapes(tree, 'rule')).toHaveLength(2);
    expect(dataMarkShapes(tree, 'rect')).toHaveLength(2);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotSeedAccuracy(series)).svg));
    expect(png.countColor('#4e79a7')).toBeGreaterThan(50);
    expect(png.countColor('#f28e2b')).toBeGreaterThan(50);
  });

  it('refuses empty input', () => {
    expect(() => seedAccuracySpec([])).toThrow(PlotInputError);
    expect(() => seedAccuracySpec([{ name: 'x', values: [], mean: Number.NaN, low: Number.NaN, high: Number.NaN }])).toThrow(PlotInputError);
  });
});

import { describe, expect, it } from 'vitest';

import { lossCurvesSpec, plotLossCurves } from './loss-curves';
import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';
import { SERIES_COLORS } from './theme';

const runs = [
  { name: 'ArcFace', points: Array.from({ length: 30 }, (_, step) => ({ step, loss: 20 * Math.exp(-step / 10) + 1 })) },
  { name: 'Norm-Softmax', points: Array.from({ length: 30 }, (_, step) => ({ step, loss: 8 * Math.exp(-step / 20) + 2 })) },
  { name: 'CosFace', points: Array.from({ length: 30 }, (_, step) => ({ step, loss: 15 * Math.exp(-step / 15) + 1 })) },
];

describe('plotLossCurves', () => {
  it('draws one line per run with the run names in the legend', async () => {
    const { svg } = await plotLossCurves(runs);
    const tree = parseSvg(svg);
    const lines = dataMarkShapes(tree, 'line');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.attributes.stroke)).toEqual(SERIES_COLORS.slice(0, 3));
    expect(legendLabels(tree)).toEqual(['ArcFace', 'Norm-Softmax', 'CosFace']);
    // Each line has one vertex per point: 1 move + 29 line segments.
    expect((lines[0]?.attributes.d ?? '').match(/L/g)).toHaveLength(29);
  });

  it('renders a non-blank PNG in which the series colours appear', async () => {
    const { svg, width, height } = await plotLossCurves(runs, { logScale: true });
    const png = await inspectPng(await svgToPng(svg));
    expect(png.width).toBe(Math.round(width));
    expect(png.height).toBe(Math.round(height));
    expect(png.foregroundFraction).toBeGreaterThan(0.01);
    for (const color of SERIES_COLORS.slice(0, 3)) expect(png.countColor(color)).toBeGreaterThan(50);
  });

  it('drops non-finite losses, and log scale drops non-positive ones', () => {
    const spec = lossCurvesSpec([{ name: 'a', points: [{ step: 0, loss: Number.NaN }, { step: 1, loss: 0 }, { step: 2, loss: 1 }] }], { logScale: true });
    expect((spec.data as { values: unknown[] }).values).toEqual([{ series: 'a', step: 2, loss: 1 }]);
  });

  it('refuses no series and a series without a finite point', () => {
    expect(() => lossCurvesSpec([])).toThrow(PlotInputError);
    expect(() => lossCurvesSpec([{ name: 'empty', points: [{ step: 0, loss: Number.POSITIVE_INFINITY }] }])).toThrow(/'empty'/);
  });
});

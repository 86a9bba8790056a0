import { describe, expect, it } from 'vitest';

import { angleTrajectoriesSpec, plotAngleTrajectories } from './angle-trajectories';
import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { allTexts, dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';

// Two runs whose statistics move linearly from their start to the paper's Table 3 end values.
const run = (name: string, end: { wEc: number; wInter: number; intra: number; inter: number }) => ({
  name,
  points: Array.from({ length: 6 }, (_, i) => {
    const t = i / 5;
    return { step: 20 * i, wEc: 88 + (end.wEc - 88) * t, wInter: 80 + (end.wInter - 80) * t, intra: 45 + (end.intra - 45) * t, inter: 30 + (end.inter - 30) * t };
  }),
});
const series = [run('Norm-Softmax', { wEc: 44.26, wInter: 69.66, intra: 50.5, inter: 59.23 }), run('ArcFace', { wEc: 14.29, wInter: 71.61, intra: 38.45, inter: 65.83 })];

describe('plotAngleTrajectories', () => {
  it('draws one panel per statistic with one line per run, every point at its step', async () => {
    const { svg } = await plotAngleTrajectories(series);
    const tree = parseSvg(svg);
    const lines = dataMarkShapes(tree, 'line');
    expect(lines).toHaveLength(8);
    // 6 snapshots: 1 move + 5 line segments each.
    for (const line of lines) expect((line.attributes.d ?? '').match(/L/g)).toHaveLength(5);
    expect(legendLabels(tree)).toEqual(['Norm-Softmax', 'ArcFace']);
    const texts = allTexts(tree);
    for (const name of ['W-EC', 'W-Inter', 'Intra', 'Inter']) expect(texts).toContain(name);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotAngleTrajectories(series)).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.02);
    expect(png.countColor('#f28e2b')).toBeGreaterThan(100);
  });

  it('refuses runs without a finite point', () => {
    expect(() => angleTrajectoriesSpec([])).toThrow(PlotInputError);
    expect(() => angleTrajectoriesSpec([{ name: 'x', points: [{ step: 0, wEc: Number.NaN, wInter: Number.NaN, intra: Number.NaN, inter: Number.NaN }] }])).toThrow(/'x' has no finite point/);
  });
});

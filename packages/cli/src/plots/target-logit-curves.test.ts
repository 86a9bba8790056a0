import { describe, expect, it } from 'vitest';

import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';
import { plotTargetLogitCurves, sampleTargetLogits, targetLogitCurvesSpec } from './target-logit-curves';

// Closed forms of the paper's Fig. 4b curves, written here independently of @arcface/margins.
const curves = [
  { name: 'Softmax', margin: { targetLogit: (t: number) => Math.cos(t) } },
  { name: 'ArcFace (0.5)', margin: { targetLogit: (t: number) => Math.cos(t + 0.5) } },
  { name: 'CosFace (0.35)', margin: { targetLogit: (t: number) => Math.cos(t) - 0.35 } },
  { name: 'Combined', margin: { targetLogit: (t: number) => Math.cos(t + 0.3) - 0.2 } },
];

describe('plotTargetLogitCurves', () => {
  it('samples t(θ) on a degree grid from each margin', () => {
    const values = sampleTargetLogits(curves, { samples: 181 });
    expect(values).toHaveLength(4 * 181);
    const arc = values.filter((v) => v.series === 'ArcFace (0.5)');
    expect(arc[60]?.thetaDeg).toBe(60);
    expect(arc[60]?.target).toBeCloseTo(Math.cos(Math.PI / 3 + 0.5), 12);
  });

  it('passes the step to scheduled margins', () => {
    const seen: Array<number | undefined> = [];
    sampleTargetLogits([{ name: 's', margin: { targetLogit: (t, step) => (seen.push(step), Math.cos(t)) } }], { samples: 3, step: 700 });
    expect(seen).toEqual([700, 700, 700]);
  });

  it('draws one line per margin with every name in the legend', async () => {
    const { svg } = await plotTargetLogitCurves(curves);
    const tree = parseSvg(svg);
    const lines = dataMarkShapes(tree, 'line');
    expect(lines).toHaveLength(4);
    expect(legendLabels(tree)).toEqual(curves.map((c) => c.name));
    // 181 samples: a move and 180 segments per line.
    for (const line of lines) expect((line.attributes.d ?? '').match(/L/g)).toHaveLength(180);
  });

  it('skips non-finite values instead of breaking the line', () => {
    const values = sampleTargetLogits([{ name: 'x', margin: { targetLogit: (t) => (t > 3 ? Number.NaN : Math.cos(t)) } }]);
    expect(values.every((v) => Number.isFinite(v.target))).toBe(true);
    expect(values.length).toBeLessThan(181);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotTargetLogitCurves(curves)).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.01);
    expect(png.countColor('#e15759')).toBeGreaterThan(50);
  });

  it('refuses an empty list and a bad sample count', () => {
    expect(() => targetLogitCurvesSpec([])).toThrow(PlotInputError);
    expect(() => sampleTargetLogits(curves, { samples: 1 })).toThrow(/got 1/);
  });
});

import { describe, expect, it } from 'vitest';

import { classCountAnglesSpec, plotClassCountAngles } from './class-count-angles';
import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { allTexts, dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';

const points = [
  { classes: 4, trained: 95, random: 71 },
  { classes: 8, trained: 88, random: 64 },
  { classes: 16, trained: 82, random: 58 },
  { classes: 48, trained: 76, random: 51 },
];

describe('plotClassCountAngles', () => {
  it('draws the trained and the random series through every class count', async () => {
    const { svg } = await plotClassCountAngles(points, { trainedLabel: 'ArcFace centres' });
    const tree = parseSvg(svg);
    const lines = dataMarkShapes(tree, 'line');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect((line.attributes.d ?? '').match(/L/g)).toHaveLength(3);
    expect(legendLabels(tree)).toEqual(['ArcFace centres', 'random centres']);
    // The log axis is labelled with exactly the measured class counts.
    const texts = allTexts(tree);
    for (const c of ['4', '8', '16', '48']) expect(texts).toContain(c);
  });

  it('renders a non-blank PNG', async () => {
    const png = await inspectPng(await svgToPng((await plotClassCountAngles(points)).svg));
    expect(png.countColor('#4e79a7')).toBeGreaterThan(100);
    expect(png.countColor('#f28e2b')).toBeGreaterThan(100);
  });

  it('refuses input without a usable point', () => {
    expect(() => classCountAnglesSpec([])).toThrow(PlotInputError);
    expect(() => classCountAnglesSpec([{ classes: 1, trained: 0, random: 0 }])).toThrow(PlotInputError);
  });
});

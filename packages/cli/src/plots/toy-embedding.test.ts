import { describe, expect, it } from 'vitest';

import { PlotInputError } from './plot-error';
import { inspectPng } from './png-inspect';
import { svgToPng } from './render';
import { allTexts, dataMarkShapes, legendLabels, parseSvg } from './svg-inspect';
import { plotToyEmbedding, toyEmbeddingSpec } from './toy-embedding';

function panel(title: string, spread: number, gapDegrees: number) {
  // Deterministic spread: sample k of class c sits at c·45° + spread·(k/49 − 0.5) degrees.
  const features = Array.from({ length: 8 * 50 }, (_, i) => {
    const label = i % 8;
    const k = Math.floor(i / 8);
    const angle = ((label * 45 + spread * (k / 49 - 0.5)) * Math.PI) / 180;
    return { x: 3 * Math.cos(angle), y: 3 * Math.sin(angle), label };
  });
  const centers = Array.from({ length: 8 }, (_, label) => ({ x: Math.cos((label * Math.PI) / 4), y: Math.sin((label * Math.PI) / 4), label }));
  return { title, features, centers, gapDegrees };
}

describe('plotToyEmbedding', () => {
  it('draws two panels, each with the circle, 8 centre rays and every feature, and writes the gaps', async () => {
    const { svg } = await plotToyEmbedding([panel('Softmax', 50, -5), panel('ArcFace', 20, 25)]);
    const tree = parseSvg(svg);
    expect(dataMarkShapes(tree, 'line')).toHaveLength(2);
    expect(dataMarkShapes(tree, 'rule')).toHaveLength(16);
    expect(dataMarkShapes(tree, 'symbol')).toHaveLength(800);
    expect(legendLabels(tree)).toEqual(Array.from({ length: 8 }, (_, i) => `identity ${i}`));
    const texts = allTexts(tree);
    expect(texts).toContain('nearest-class geodesic gap: -5.0° (overlap)');
    expect(texts).toContain('nearest-class geodesic gap: 25.0°');
  });

  it('puts every feature on the unit circle', () => {
    const spec = toyEmbeddingSpec([panel('A', 30, 10)]) as unknown as {
      hconcat: Array<{ layer: Array<{ data: { values: Array<{ x: number; y: number }> } }> }>;
    };
    const points = spec.hconcat[0]?.layer[2]?.data.values ?? [];
    expect(points).toHaveLength(400);
    for (const p of points) expect(Math.hypot(p.x, p.y)).toBeCloseTo(1, 12);
  });

  it('renders a non-blank PNG with every identity colour', async () => {
    const png = await inspectPng(await svgToPng((await plotToyEmbedding([panel('Softmax', 50, -5), panel('ArcFace', 20, 25)])).svg));
    expect(png.foregroundFraction).toBeGreaterThan(0.01);
    for (const color of ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2']) expect(png.countColor(color)).toBeGreaterThan(20);
  });

  it('refuses a panel without features', () => {
    expect(() => toyEmbeddingSpec([])).toThrow(PlotInputError);
    expect(() => toyEmbeddingSpec([{ title: 'x', features: [], centers: [], gapDegrees: 0 }])).toThrow(/'x'/);
  });
});

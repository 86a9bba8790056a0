import { describe, expect, it } from 'vitest';

import { cmcCurvesSpec, plotCmcCurves } from './cmc-curve';
import { PlotInputError } from './plot-error';

describe('plotCmcCurves', () => {
  it('draws one line per search, with every rank as a point', async () => {
    const plot = await plotCmcCurves([
      { name: 'HNSW', rates: [0.8, 0.9, 0.95] },
      { name: 'exact search', rates: [0.8, 0.92, 0.96] },
    ]);
    expect(plot.svg).toMatch(/^<svg/);
    expect(plot.svg).toContain('HNSW');
    expect(plot.svg).toContain('exact search');
    expect((plot.svg.match(/<path[^>]*aria-roledescription="point"/g) ?? []).length).toBe(6);
  });
  it('refuses rates outside [0, 1] and empty input', () => {
    expect(() => cmcCurvesSpec([])).toThrow(PlotInputError);
    expect(() => cmcCurvesSpec([{ name: 'x', rates: [1.2] }])).toThrow(/rate 1.2 at rank 1/);
  });
});

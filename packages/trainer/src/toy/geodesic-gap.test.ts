import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@arcface/core';

import { measureCircleGeometry } from './geodesic-gap';

const rad = Math.PI / 180;

/** Class c centred at centre[c] degrees, with features at centre ± the given offsets, scaled by r. */
function ring(centres: number[], offsets: number[][], r = 3): { features: Array<[number, number]>; labels: number[] } {
  const features: Array<[number, number]> = [];
  const labels: number[] = [];
  centres.forEach((centre, c) => {
    for (const o of offsets[c] as number[]) {
      features.push([r * Math.cos((centre + o) * rad), r * Math.sin((centre + o) * rad)]);
      labels.push(c);
    }
  });
  return { features, labels };
}

describe('measureCircleGeometry', () => {
  it('measures the gap between arcs of 8 evenly spaced classes', () => {
    // Symmetric spreads of ±10° around 45°·c: every gap is 45 − 20 = 25°.
    const { features, labels } = ring(
      Array.from({ length: 8 }, (_, c) => 45 * c),
      Array.from({ length: 8 }, () => [-10, -3, 0, 3, 10]),
    );
    const g = measureCircleGeometry(features, labels);
    expect(g.gapDegrees).toBeCloseTo(25, 9);
    expect(g.intraDegrees).toBeCloseTo((10 + 3 + 0 + 3 + 10) / 5, 9);
    g.directions.forEach((d, c) => expect(d).toBeCloseTo(45 * c, 9));
  });

  it('finds the narrowest gap and names its classes, also across 0°/360°', () => {
    // Class 2 at 350° with a wide spread reaches towards class 0 at 10°.
    const { features, labels } = ring([10, 180, 350], [[-2, 2], [-2, 2], [-6, 0, 6]]);
    const g = measureCircleGeometry(features, labels);
    // From 356° to 8°: 12° apart.
    expect(g.gapDegrees).toBeCloseTo(12, 9);
    expect(g.nearest).toEqual([2, 0]);
  });

  it('reports overlap as a negative gap', () => {
    const { features, labels } = ring([0, 20], [[-15, 0, 15], [-15, 0, 15]]);
    expect(measureCircleGeometry(features, labels).gapDegrees).toBeCloseTo(20 - 30, 9);
  });

  it('ignores the feature norm', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 6, maxLength: 6 }), (norms) => {
        const base = ring([0, 120, 240], [[-5, 5], [-5, 5], [-5, 5]]);
        const scaled = base.features.map(([x, y], i) => [x * (norms[i] as number), y * (norms[i] as number)] as [number, number]);
        expect(measureCircleGeometry(scaled, base.labels).gapDegrees).toBeCloseTo(110, 9);
      }),
    );
  });

  it('refuses mismatched input, a single class and a zero feature', () => {
    expect(() => measureCircleGeometry([[1, 0]], [0, 1])).toThrow(InvalidArgumentError);
    expect(() => measureCircleGeometry([[1, 0], [0, 1]], [0, 0])).toThrow(/at least 2 classes/);
    expect(() => measureCircleGeometry([[0, 0], [0, 1]], [0, 1])).toThrow(/feature 0 is \(0, 0\)/);
  });
});

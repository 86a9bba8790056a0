import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@arcface/core';

import { measureToyGeometry } from './geodesic-gap';

const RAD = Math.PI / 180;

/** Class c centred at centres[c] degrees on the circle, with features at the given offsets, scaled by r. */
function ring(centres: readonly number[], offsets: readonly (readonly number[])[], rotation = 0, r = 3): { features: Float64Array; labels: Int32Array } {
  const features: number[] = [];
  const labels: number[] = [];
  centres.forEach((centre, c) => {
    for (const o of offsets[c] as number[]) {
      features.push(r * Math.cos((centre + o) * RAD + rotation), r * Math.sin((centre + o) * RAD + rotation));
      labels.push(c);
    }
  });
  return { features: Float64Array.from(features), labels: Int32Array.from(labels) };
}

const eight = (offsets: readonly number[]) => Array.from({ length: 8 }, () => offsets);
const everyFortyFive = Array.from({ length: 8 }, (_, c) => 45 * c);

describe('measureToyGeometry', () => {
  it('measures 8 evenly spaced classes: gap, spread, intra and inter', () => {
    // Spreads of ±10° around 45°·c: every gap is 45 − 20 = 25°.
    const { features, labels } = ring(everyFortyFive, eight([-10, -3, 0, 3, 10]));
    const g = measureToyGeometry(features, labels, 2);
    expect(g.gapDegrees).toBeCloseTo(25, 9);
    expect(g.intraDegrees).toBeCloseTo((10 + 3 + 0 + 3 + 10) / 5, 9);
    expect(g.maxSpreadDegrees).toBeCloseTo(10, 9);
    expect(g.interDegrees).toBeCloseTo(45, 9);
  });

  it('finds the narrowest gap and names its classes, also across 0°/360°', () => {
    // Class 2 at 350° with a spread of 6° reaches towards class 0 at 10°: 20 − 6 − 2 = 12°.
    const { features, labels } = ring([10, 180, 350], [[-2, 2], [-2, 2], [-6, 0, 6]]);
    const g = measureToyGeometry(features, labels, 2);
    expect(g.gapDegrees).toBeCloseTo(12, 9);
    expect(g.nearestPair).toEqual([0, 2]);
  });

  it('reports overlap as a negative gap', () => {
    const { features, labels } = ring([0, 20], [[-15, 0, 15], [-15, 0, 15]]);
    expect(measureToyGeometry(features, labels, 2).gapDegrees).toBeCloseTo(20 - 30, 9);
  });

  it('is exact for nearly touching classes (no acos rounding)', () => {
    const features = new Float64Array([1, 0, Math.cos(1e-6), Math.sin(1e-6)]);
    expect(measureToyGeometry(features, new Int32Array([0, 1]), 2).gapDegrees).toBeCloseTo(1e-6 / RAD, 12);
  });

  it('works in 3-D: the octahedron vertices are 90° apart, and a cap of 10° leaves 80°', () => {
    const vertices = [1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1];
    const g = measureToyGeometry(Float64Array.from(vertices), Int32Array.from([0, 1, 2, 3, 4, 5]), 3);
    expect(g.gapDegrees).toBeCloseTo(90, 9);
    expect(g.interDegrees).toBeCloseTo(90, 9);
    expect(g.intraDegrees).toBeCloseTo(0, 9);
    // Class 0 gets samples 10° off its axis on both sides in the x–z plane: its cap has radius 10°.
    const t = 10 * RAD;
    const spread = [...vertices, Math.cos(t), 0, Math.sin(t), Math.cos(t), 0, -Math.sin(t)];
    const h = measureToyGeometry(Float64Array.from(spread), Int32Array.from([0, 1, 2, 3, 4, 5, 0, 0]), 3);
    expect(h.gapDegrees).toBeCloseTo(80, 9);
    expect(h.maxSpreadDegrees).toBeCloseTo(10, 9);
  });

  it('is invariant to rotation and to feature norms, and never exceeds the nearest centres (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        (offsets, rotation, radius) => {
          const a = ring(everyFortyFive, eight(offsets));
          const b = ring(everyFortyFive, eight(offsets), rotation, radius);
          const ga = measureToyGeometry(a.features, a.labels, 2);
          const gb = measureToyGeometry(b.features, b.labels, 2);
          expect(gb.gapDegrees).toBeCloseTo(ga.gapDegrees, 6);
          expect(gb.intraDegrees).toBeCloseTo(ga.intraDegrees, 6);
          expect(gb.interDegrees).toBeCloseTo(ga.interDegrees, 6);
          // The gap is what the two caps leave of the angle between the nearest centres.
          expect(gb.gapDegrees).toBeCloseTo(gb.interDegrees - 2 * gb.maxSpreadDegrees, 6);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses mismatched input, a single class and a zero feature', () => {
    expect(() => measureToyGeometry([1, 0], [0, 1], 2)).toThrow(InvalidArgumentError);
    expect(() => measureToyGeometry([1, 0, 0, 1], [0, 0], 2)).toThrow(/at least 2 classes/);
    expect(() => measureToyGeometry([0, 0, 0, 1], [0, 1], 2)).toThrow(/feature 0 is zero/);
  });
});

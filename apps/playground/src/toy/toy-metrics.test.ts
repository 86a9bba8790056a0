import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measureToyGeometry } from './toy-metrics';

const DEG = Math.PI / 180;

/** 8 clusters at k·45°, each with samples at the given offsets (degrees) from its centre. */
function ring(offsets: readonly number[], rotation = 0, radius = 1): { features: Float64Array; labels: Int32Array } {
  const features: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 8; c += 1) {
    for (const offset of offsets) {
      const angle = (c * 45 + offset) * DEG + rotation;
      features.push(radius * Math.cos(angle), radius * Math.sin(angle));
      labels.push(c);
    }
  }
  return { features: Float64Array.from(features), labels: Int32Array.from(labels) };
}

describe('measureToyGeometry', () => {
  it('measures a known ring of 8 clusters', () => {
    const { features, labels } = ring([-10, 0, 10]);
    const g = measureToyGeometry(features, labels, 2, 8);
    expect(g.gapDegrees).toBeCloseTo(45 - 20, 9);
    expect(g.intraDegrees).toBeCloseTo(20 / 3, 9);
    expect(g.maxSpreadDegrees).toBeCloseTo(10, 9);
    expect(g.interDegrees).toBeCloseTo(45, 9);
  });

  it('finds the nearest pair of identities', () => {
    const { features, labels } = ring([0]);
    // Move identity 5 towards identity 4 by 30°.
    features[10] = Math.cos((5 * 45 - 30) * DEG);
    features[11] = Math.sin((5 * 45 - 30) * DEG);
    const g = measureToyGeometry(features, labels, 2, 8);
    expect(g.nearestPair).toEqual([4, 5]);
    expect(g.gapDegrees).toBeCloseTo(15, 9);
  });

  it('is exact for nearly touching clusters (no acos rounding)', () => {
    const features = new Float64Array([1, 0, Math.cos(1e-6), Math.sin(1e-6)]);
    const g = measureToyGeometry(features, new Int32Array([0, 1]), 2, 2);
    expect(g.gapDegrees).toBeCloseTo(1e-6 / DEG, 12);
  });

  it('works in 3-D: the octahedron vertices are 90° apart', () => {
    const features = new Float64Array([1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1]);
    const g = measureToyGeometry(features, new Int32Array([0, 1, 2, 3, 4, 5]), 3, 6);
    expect(g.gapDegrees).toBeCloseTo(90, 9);
    expect(g.interDegrees).toBeCloseTo(90, 9);
    expect(g.intraDegrees).toBeCloseTo(0, 9);
  });

  it('is invariant to rotation and to feature norms (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        (offsets, rotation, radius) => {
          const a = measureToyGeometry(...Object.values(ring(offsets)) as [Float64Array, Int32Array], 2, 8);
          const { features, labels } = ring(offsets, rotation, radius);
          const b = measureToyGeometry(features, labels, 2, 8);
          expect(b.gapDegrees).toBeCloseTo(a.gapDegrees, 6);
          expect(b.intraDegrees).toBeCloseTo(a.intraDegrees, 6);
          expect(b.interDegrees).toBeCloseTo(a.interDegrees, 6);
          // The gap between samples can never exceed the angle between the nearest centres.
          expect(b.gapDegrees).toBeLessThanOrEqual(b.interDegrees + 1e-9 + 2 * b.maxSpreadDegrees);
          expect(b.gapDegrees).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects features whose length does not match the labels', () => {
    expect(() => measureToyGeometry(new Float32Array(5), new Int32Array(2), 2, 2)).toThrow(/needs 4/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linePath, parsePath } from './line-path';
import { linearScale, niceTicks } from './scale';
import { projectSphere } from './sphere-projection';

describe('linearScale and niceTicks', () => {
  it('maps domain ends to range ends, even reversed (SVG y grows downwards)', () => {
    const y = linearScale([-1, 1], [300, 20]);
    expect(y(-1)).toBe(300);
    expect(y(1)).toBe(20);
    expect(y(0)).toBe(160);
  });

  it('gives round ticks inside the interval', () => {
    expect(niceTicks(0, 180, 6)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    // Found by the property below: float noise at the start, and a step wider than the interval.
    expect(niceTicks(2.0000000000000008e-12, 2.0000000000000008e-12 + 0.0010000000000000002, 1)[0]).toBe(0);
    expect(niceTicks(0.41, 0.56, 1)).toEqual([0.41]);
    fc.assert(
      fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: 1e-3, max: 1e4, noNaN: true }), fc.integer({ min: 1, max: 12 }), (min, width, count) => {
        const ticks = niceTicks(min, min + width, count);
        expect(ticks.length).toBeGreaterThan(0);
        expect(ticks.length).toBeLessThanOrEqual(count + 1);
        for (const t of ticks) {
          expect(t).toBeGreaterThanOrEqual(min - width * 1e-6);
          expect(t).toBeLessThanOrEqual(min + width + width * 1e-6);
        }
      }),
    );
  });
});

describe('linePath', () => {
  const x = linearScale([0, 10], [0, 100]);
  const y = linearScale([-1, 1], [100, 0]);

  it('breaks the line at non-finite values', () => {
    const d = linePath([[0, 1], [1, 0], [2, Number.NaN], [3, -1], [4, Number.POSITIVE_INFINITY], [5, 0]], x, y);
    expect(parsePath(d)).toEqual([[[0, 0], [10, 50]], [[30, 100]], [[50, 50]]]);
  });

  it('round-trips pixel positions within 0.01 px (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 1, maxLength: 50 }), (points) => {
        const [piece] = parsePath(linePath(points, x, y));
        expect(piece).toHaveLength(points.length);
        piece!.forEach(([px, py], i) => {
          expect(Math.abs(px - x(points[i]![0]))).toBeLessThanOrEqual(0.005 + 1e-9);
          expect(Math.abs(py - y(points[i]![1]))).toBeLessThanOrEqual(0.005 + 1e-9);
        });
      }),
    );
  });
});

describe('projectSphere', () => {
  it('keeps points on the unit sphere (a rotation)', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        (p, yaw, pitch) => {
          const { u, v, depth } = projectSphere(p, yaw, pitch);
          expect(Math.hypot(u, v, depth)).toBeCloseTo(Math.hypot(...p), 9);
        },
      ),
    );
  });

  it('turns +x towards the viewer with a quarter yaw', () => {
    const p = projectSphere([1, 0, 0], -Math.PI / 2, 0);
    expect(p.depth).toBeCloseTo(1, 12);
    expect(p.u).toBeCloseTo(0, 12);
  });
});

import { describe, expect, it } from 'vitest';

import { meanNearestAngle, minimumPairAngle, randomCentresMinimumAngle } from './centre-angles';

describe('centre angles', () => {
  it('finds the smallest pairwise angle, whatever the row scale', () => {
    // Rows at 0°, 50° and 130° in the plane (scaled differently): the closest pair is 50° apart.
    const deg = Math.PI / 180;
    const rows = [3, 0, 2 * Math.cos(50 * deg), 2 * Math.sin(50 * deg), Math.cos(130 * deg), Math.sin(130 * deg)];
    expect(minimumPairAngle(rows, 3, 2)).toBeCloseTo(50, 10);
    // A regular simplex in 3-D: 4 unit vectors with pairwise cosine −1/3.
    const simplex = [1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1];
    expect(minimumPairAngle(simplex, 4, 3)).toBeCloseTo((Math.acos(-1 / 3) * 180) / Math.PI, 10);
    // Nearest neighbours of 0°, 50°, 130°: 50°, 50°, 80° → mean 60°.
    expect(meanNearestAngle(rows, 3, 2)).toBeCloseTo(60, 10);
  });

  it('random directions: 90° on average for 2 classes in the plane… and less with more classes', () => {
    // For two uniform directions in 2-D the angle is uniform on [0°, 180°]: its mean is 90°.
    expect(Math.abs(randomCentresMinimumAngle(2, 2, { draws: 4000, seed: 3 }) - 90)).toBeLessThan(3);
    const few = randomCentresMinimumAngle(4, 64, { draws: 100 });
    const many = randomCentresMinimumAngle(32, 64, { draws: 100 });
    // In 64-D random directions are nearly orthogonal; more of them bring the closest pair nearer.
    expect(few).toBeGreaterThan(many);
    expect(few).toBeLessThan(90);
    expect(many).toBeGreaterThan(50);
    // Seeded: the same draws every time.
    expect(randomCentresMinimumAngle(8, 16, { draws: 10, seed: 2 })).toBe(randomCentresMinimumAngle(8, 16, { draws: 10, seed: 2 }));
  });
});

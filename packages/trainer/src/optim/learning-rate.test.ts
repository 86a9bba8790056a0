import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleConfigError } from '../errors';
import { checkSchedule, learningRate } from './learning-rate';

describe('learning-rate schedules', () => {
  it('warm-up rises linearly to lr, then polynomial (power 1) falls linearly to 0', () => {
    const s = { type: 'polynomial', lr: 0.1, warmupSteps: 10, totalSteps: 110 } as const;
    expect(learningRate(s, 0)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 9)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 10)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 60)).toBeCloseTo(0.05, 12);
    expect(learningRate(s, 110)).toBe(0);
  });

  it('step divides by 10 at each milestone (the paper: 100K, 160K)', () => {
    const s = { type: 'step', lr: 0.1, milestones: [100_000, 160_000] } as const;
    expect(learningRate(s, 99_999)).toBe(0.1);
    expect(learningRate(s, 100_000)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 170_000)).toBeCloseTo(0.001, 12);
  });

  it('cosine goes from lr to minLr through the midpoint', () => {
    const s = { type: 'cosine', lr: 1, minLr: 0.1, totalSteps: 100 } as const;
    expect(learningRate(s, 0)).toBeCloseTo(1, 12);
    expect(learningRate(s, 50)).toBeCloseTo(0.55, 12);
    expect(learningRate(s, 100)).toBeCloseTo(0.1, 12);
  });

  it('after warm-up every decaying schedule is non-increasing and within [0, lr]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 51, max: 500 }), fc.constantFrom('polynomial', 'cosine'), (w, total, type) => {
        const s = { type, lr: 0.1, warmupSteps: w, totalSteps: total } as const;
        let previous = Infinity;
        for (let t = w; t <= total; t++) {
          const lr = learningRate(s, t);
          expect(lr).toBeLessThanOrEqual(previous + 1e-15);
          expect(lr).toBeGreaterThanOrEqual(0);
          previous = lr;
        }
      }),
      { numRuns: 30 },
    );
  });

  it('bad schedules are typed errors with the value', () => {
    expect(() => checkSchedule({ type: 'linear' } as never)).toThrow(ScheduleConfigError);
    expect(() => checkSchedule({ type: 'constant', lr: -1 })).toThrow(/-1/);
    expect(() => checkSchedule({ type: 'cosine', lr: 0.1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps \(5\)/);
  });
});

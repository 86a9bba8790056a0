import { ScheduleConfigError } from '../errors';

/** A learning-rate schedule by plain settings. Steps count optimiser updates from 0. */
export type ScheduleConfig =
  | { readonly type: 'constant'; readonly lr: number; readonly warmupSteps?: number }
  | { readonly type: 'polynomial'; readonly lr: number; readonly warmupSteps?: number; readonly totalSteps: number; readonly power?: number; readonly endLr?: number }
  | { readonly type: 'step'; readonly lr: number; readonly warmupSteps?: number; readonly milestones: readonly number[]; readonly gamma?: number }
  | { readonly type: 'cosine'; readonly lr: number; readonly warmupSteps?: number; readonly totalSteps: number; readonly minLr?: number };

export const SCHEDULE_TYPES = ['constant', 'polynomial', 'step', 'cosine'] as const;

/**
 * The learning rate at `step` (0-based): a linear warm-up lr·(step + 1)/W over the first W
 * steps, then
 * - `polynomial` (arcface_torch's PolyScheduler): endLr + (lr − endLr)·(1 − (step − W)/(T − W))^power [power 1],
 * - `step`: lr·γ^k with k the milestones ≤ step [γ 0.1] (the paper: ÷10 at 100K and 160K),
 * - `cosine`: minLr + (lr − minLr)·(1 + cos(π·(step − W)/(T − W)))/2,
 * - `constant`: lr.
 *
 * @example
 * learningRate({ type: 'polynomial', lr: 0.1, warmupSteps: 100, totalSteps: 1000 }, 550); // 0.05
 */
export function learningRate(schedule: ScheduleConfig, step: number): number {
  const warmup = schedule.warmupSteps ?? 0;
  if (step < warmup) return (schedule.lr * (step + 1)) / warmup;
  switch (schedule.type) {
    case 'constant':
      return schedule.lr;
    case 'polynomial': {
      const endLr = schedule.endLr ?? 0;
      const progress = Math.min(1, (step - warmup) / Math.max(1, schedule.totalSteps - warmup));
      return endLr + (schedule.lr - endLr) * (1 - progress) ** (schedule.power ?? 1);
    }
    case 'step': {
      const passed = schedule.milestones.filter((m) => m <= step).length;
      return schedule.lr * (schedule.gamma ?? 0.1) ** passed;
    }
    case 'cosine': {
      const minLr = schedule.minLr ?? 0;
      const progress = Math.min(1, (step - warmup) / Math.max(1, schedule.totalSteps - warmup));
      return minLr + ((schedule.lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
    default:
      throw new ScheduleConfigError(`schedule type '${(schedule as { type: string }).type}' is not known; known: ${SCHEDULE_TYPES.join(', ')}`);
  }
}

/** Throws {@link ScheduleConfigError} for settings that cannot work; called before training starts. */
export function checkSchedule(schedule: ScheduleConfig): void {
  if (!SCHEDULE_TYPES.includes(schedule.type)) {
    throw new ScheduleConfigError(`schedule type '${schedule.type}' is not known; known: ${SCHEDULE_TYPES.join(', ')}`);
  }
  if (!(schedule.lr > 0) || !Number.isFinite(schedule.lr)) throw new ScheduleConfigError(`schedule lr must be > 0, got ${schedule.lr}`);
  const warmup = schedule.warmupSteps ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) throw new ScheduleConfigError(`warmupSteps must be a non-negative integer, got ${warmup}`);
  if ((schedule.type === 'polynomial' || schedule.type === 'cosine') && !(schedule.totalSteps > warmup)) {
    throw new ScheduleConfigError(`${schedule.type} schedule: totalSteps (${schedule.totalSteps}) must exceed warmupSteps (${warmup})`);
  }
}

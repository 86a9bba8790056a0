import { describe, expect, it } from 'vitest';
import { combineRounds, markdownTable, type Round } from './report';
import type { Measurement } from './workloads';

const head = (classes: number, ms: number | undefined): Measurement => ({
  workload: 'margin-head',
  backend: 'wasm',
  detail: `B=256 D=512 C=${classes}`,
  ...(ms === undefined ? { note: 'failed: out of memory' } : { ms }),
});

const round = (tfjs: Array<number | undefined>, torch: number[]): Round => ({
  measurements: tfjs.map((ms, i) => head([1000, 10_000][i]!, ms)),
  torch: { results: torch.map((ms, i) => ({ workload: 'margin-head', classes: [1000, 10_000][i]!, ms })) },
});

describe('combineRounds', () => {
  it('takes medians of the times and the median of the rounds’ own ratios, not the ratio of medians', () => {
    // The machine slows down in round 3: both engines do, and the ratio of that round stays 1.2.
    const rows = combineRounds([round([30, 200], [20, 190]), round([33, 210], [22, 200]), round([60, 400], [50, 300])]);
    expect(rows.map((r) => r.ms)).toEqual([33, 210]);
    expect(rows.map((r) => r.torchMs)).toEqual([22, 200]);
    expect(rows[0]!.roundRatios).toEqual([1.5, 1.5, 1.2]);
    expect(rows[0]!.ratio).toBe(1.5);
    expect(rows[1]!.ratio).toBeCloseTo(200 / 190, 12); // of 200/190, 210/200 and 400/300
  });

  it('averages the middle two of an even count, and keeps a row whose every round failed', () => {
    const rows = combineRounds([round([10, undefined], [10, 100]), round([14, undefined], [10, 100])]);
    expect(rows[0]!.ratio).toBeCloseTo(1.2, 12);
    expect(rows[1]!.ms).toBeUndefined();
    expect(rows[1]!.ratio).toBeUndefined();
    expect(rows[1]!.note).toBe('failed: out of memory');
  });

  it('lists the rounds’ ratios in the table', () => {
    const rows = combineRounds([round([30], [20]), round([24], [20])]);
    const table = markdownTable(rows, { results: [] }, 'title', 'environment');
    expect(table).toContain('| 1.35× (1.50, 1.20) | ≤ 1.5 | yes |');
  });
});

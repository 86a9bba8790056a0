import type { MarginComparison, MarginRunReport, MarginSummary } from '../report/demo-report';
import { meanInterval, pairedComparison } from '../stats/seed-statistics';

/**
 * Per-margin means over seeds (95% t intervals) and the paired ArcFace − Norm-Softmax
 * comparison over the seeds both finished.
 *
 * @example
 * ```ts
 * const { summary, comparison } = summarizeRuns(report.runs, DEMO_MARGINS);
 * ```
 */
export function summarizeRuns(runs: readonly MarginRunReport[], margins: ReadonlyArray<{ label: string; name: string }>): { summary: MarginSummary[]; comparison?: MarginComparison } {
  const summary = margins.map((m) => {
    const own = runs.filter((r) => r.margin.name === m.name).sort((a, b) => a.seed - b.seed);
    const accuracies = own.map((r) => r.verification.accuracy.mean);
    return {
      label: m.label,
      name: m.name,
      seeds: own.map((r) => r.seed),
      accuracies,
      accuracy: meanInterval(accuracies),
      auc: meanInterval(own.map((r) => r.verification.auc)),
      tar: meanInterval(own.map((r) => r.verification.tarAtFar.tar.mean).filter(Number.isFinite)),
    };
  });
  const arc = summary.find((s) => s.name === 'additive-angular');
  const base = summary.find((s) => s.name === 'softmax-normalized');
  if (arc === undefined || base === undefined) return { summary };
  // Pair by seed: only seeds both margins finished.
  const seeds = arc.seeds.filter((seed) => base.seeds.includes(seed));
  const at = (s: MarginSummary, seed: number): number => s.accuracies[s.seeds.indexOf(seed)] as number;
  const paired = pairedComparison(seeds.map((seed) => at(arc, seed)), seeds.map((seed) => at(base, seed)));
  return { summary, comparison: { a: arc.label, b: base.label, seeds, ...paired } };
}

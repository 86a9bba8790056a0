import type { MarginFn } from '@arcface/margins';

import { plotAngleStatistics } from '../plots/angle-statistics';
import { plotAngleTrajectories, type AngleSnapshot } from '../plots/angle-trajectories';
import { plotClassCountAngles } from '../plots/class-count-angles';
import { plotSeedAccuracy } from '../plots/seed-accuracy';
import { plotLossCurves } from '../plots/loss-curves';
import type { RenderedPlot } from '../plots/render';
import { plotRocCurves } from '../plots/roc-curves';
import { plotTargetLogitCurves } from '../plots/target-logit-curves';
import { plotThetaDistribution } from '../plots/theta-distribution';
import { plotToyEmbedding } from '../plots/toy-embedding';
import type { DemoReport, MarginSpec } from './demo-report';

/** The mean over runs of their snapshots, step by step (runs share their snapshot steps). */
function meanTrajectory(runs: ReadonlyArray<readonly AngleSnapshot[]>): AngleSnapshot[] {
  const first = runs[0] ?? [];
  return first.map((p, i) => {
    const at = runs.map((r) => r[i]).filter((q): q is AngleSnapshot => q !== undefined && q.step === p.step);
    const mean = (key: 'wEc' | 'wInter' | 'intra' | 'inter'): number => at.reduce((s, q) => s + q[key], 0) / at.length;
    return { step: p.step, wEc: mean('wEc'), wInter: mean('wInter'), intra: mean('intra'), inter: mean('inter') };
  });
}

/** A chart of the report with the words around it. */
export interface ReportPlot extends RenderedPlot {
  /** File stem under `plots/`, e.g. `loss`. */
  readonly id: string;
  readonly title: string;
  readonly caption: string;
}

/** Rebuilds a margin from its saved spec, for its t(θ) curve; undefined skips it. */
export type MarginResolver = (spec: MarginSpec) => Pick<MarginFn, 'targetLogit'> | undefined;

/**
 * Renders every chart of a demo report from the report's own numbers (and, for the target-
 * logit curves, from the margins rebuilt by `resolveMargin`).
 */
export async function renderReportPlots(report: DemoReport, resolveMargin: MarginResolver): Promise<ReportPlot[]> {
  const plots: ReportPlot[] = [];
  // Curves of one seed (the first), so each margin has one line; seed-level numbers are in the tables.
  const firstSeed = report.runs[0]?.seed;
  const runs = report.runs.filter((r) => r.seed === firstSeed);
  if (report.summary.length > 0 && report.summary.some((s) => s.accuracies.length > 0)) {
    plots.push({
      id: 'seeds',
      title: 'Held-out accuracy per seed',
      caption: `Every margin on every seed (${report.settings.seeds.join(', ')}), with the mean and its 95% t interval over seeds. Runs of the same seed share data, initial weights and batch order.`,
      ...(await plotSeedAccuracy(
        report.summary.map((s) => ({
          name: s.label,
          values: s.seeds.map((seed, i) => ({ seed, accuracy: s.accuracies[i] as number })),
          mean: s.accuracy.mean,
          low: s.accuracy.low,
          high: s.accuracy.high,
        })),
      )),
    });
  }
  if (runs.length > 0) {
    plots.push({
      id: 'loss',
      title: 'Training loss',
      caption: `Cross-entropy of the margin-softmax head per step (log scale), seed ${firstSeed}. Margins raise the loss at equal separation, so compare shapes, not heights.`,
      ...(await plotLossCurves(runs.map((r) => ({ name: r.label, points: r.training.loss })), { logScale: true })),
    });
    const withTheta = runs.filter((r) => r.training.theta.length > 0);
    if (withTheta.length > 0) {
      plots.push({
        id: 'theta',
        title: 'Target angle θ_y over training',
        caption: `Angle between each training feature and its own class centre (the paper's Fig. 4a), seed ${firstSeed}: it starts near 90° and falls as classes form.`,
        ...(await plotThetaDistribution(withTheta.map((r) => ({ name: r.label, points: r.training.theta })))),
      });
    }
    const trajectories = report.summary
      .map((s) => ({ name: s.label, points: meanTrajectory(report.runs.filter((r) => r.margin.name === s.name).map((r) => r.training.angles ?? [])) }))
      .filter((t) => t.points.length > 0);
    if (trajectories.length > 0) {
      plots.push({
        id: 'angles-over-training',
        title: "Table 3's angles over training",
        caption: `W-EC, W-Inter, Intra and Inter on 256 training images against the current class centres, at ${trajectories[0]?.points.length ?? 0} points of training, mean over seeds. The paper's Table 3 gives the end points; a margin pulls W-EC and Intra down.`,
        ...(await plotAngleTrajectories(trajectories)),
      });
    }
    plots.push({
      id: 'roc',
      title: 'ROC on held-out identities',
      caption: `True accept rate against false accept rate over the distance thresholds, averaged over the 10 test folds, seed ${firstSeed}.`,
      ...(await plotRocCurves(runs.map((r) => ({ name: r.label, fpr: r.verification.roc.fpr, tpr: r.verification.roc.tpr, auc: r.verification.auc })))),
    });
    const curves = runs.flatMap((r) => {
      const margin = resolveMargin(r.margin);
      return margin === undefined ? [] : [{ name: r.label, margin }];
    });
    if (curves.length > 0) {
      plots.push({
        id: 'target-logits',
        title: 'Target logits of the trained margins',
        caption: 'The target logit t(θ) of each margin with the options trained here (the paper\'s Fig. 4b); every non-target logit is cos θ.',
        ...(await plotTargetLogitCurves(curves, { step: runs[0]?.training.steps })),
      });
    }
    plots.push({
      id: 'angles',
      title: 'Angle statistics',
      caption: 'The paper\'s Table 3 on the training identities at the end of training, mean over seeds: W-EC, W-Inter, Intra and Inter in degrees.',
      ...(await plotAngleStatistics(
        report.summary.map((s) => {
          const own = report.runs.filter((r) => r.margin.name === s.name);
          const mean = (pick: (r: (typeof own)[number]) => number): number => own.reduce((sum, r) => sum + pick(r), 0) / Math.max(1, own.length);
          return { name: s.label, values: { 'W-EC': mean((r) => r.angles.wEc), 'W-Inter': mean((r) => r.angles.wInter), Intra: mean((r) => r.angles.intra), Inter: mean((r) => r.angles.inter) } };
        }),
      )),
    });
  }
  const study = report.classCounts;
  if (study !== undefined && study.points.length > 0) {
    plots.push({
      id: 'class-counts',
      title: 'Smallest angle between class centres against the number of classes',
      caption: `${study.label} trained ${study.steps} steps on the first C training identities, for each C, beside the mean smallest angle of C random directions in ${study.embeddingSize} dimensions (the paper's appendix).`,
      ...(await plotClassCountAngles(study.points, { trainedLabel: `${study.label} centres` })),
    });
  }
  if (report.toy !== undefined && report.toy.panels.length > 0) {
    plots.push({
      id: 'toy',
      title: 'Toy experiment',
      caption: `${report.toy.identities} identities with 2-D features, drawn on the unit circle (the paper's Fig. 3). The gap is measured between the angular ranges of neighbouring classes.`,
      ...(await plotToyEmbedding(
        report.toy.panels.map((p) => ({ title: `${p.label} (${p.margin.name})`, features: p.features, centers: p.centers, gapDegrees: p.gapDegrees })),
      )),
    });
  }
  return plots;
}

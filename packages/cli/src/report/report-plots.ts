import type { MarginFn } from '@arcface/margins';

import { plotAngleStatistics } from '../plots/angle-statistics';
import { plotLossCurves } from '../plots/loss-curves';
import type { RenderedPlot } from '../plots/render';
import { plotRocCurves } from '../plots/roc-curves';
import { plotTargetLogitCurves } from '../plots/target-logit-curves';
import { plotThetaDistribution } from '../plots/theta-distribution';
import { plotToyEmbedding } from '../plots/toy-embedding';
import type { DemoReport, MarginSpec } from './demo-report';

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
  const runs = report.runs;
  if (runs.length > 0) {
    plots.push({
      id: 'loss',
      title: 'Training loss',
      caption: 'Cross-entropy of the margin-softmax head per logged step (log scale). Margins raise the loss at equal separation, so compare shapes, not heights.',
      ...(await plotLossCurves(runs.map((r) => ({ name: r.label, points: r.training.loss })), { logScale: true })),
    });
    const withTheta = runs.filter((r) => r.training.theta.length > 0);
    if (withTheta.length > 0) {
      plots.push({
        id: 'theta',
        title: 'Target angle θ_y over training',
        caption: 'Angle between each training feature and its own class centre (the paper\'s Fig. 4a): it starts near 90° and falls as classes form.',
        ...(await plotThetaDistribution(withTheta.map((r) => ({ name: r.label, points: r.training.theta })))),
      });
    }
    plots.push({
      id: 'roc',
      title: 'ROC on held-out identities',
      caption: 'True accept rate against false accept rate over the distance thresholds, averaged over the 10 test folds.',
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
      caption: 'The paper\'s Table 3 on the training identities: W-EC, W-Inter, Intra and Inter in degrees.',
      ...(await plotAngleStatistics(
        runs.map((r) => ({ name: r.label, values: { 'W-EC': r.angles.wEc, 'W-Inter': r.angles.wInter, Intra: r.angles.intra, Inter: r.angles.inter } })),
      )),
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

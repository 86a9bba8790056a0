import type { DemoReport } from './demo-report';
import { formatDegrees, formatDuration, formatNumber, formatOptions, formatPercent, formatPercentPm } from './format';

/** A table of the report, rendered the same way to Markdown, HTML and the terminal. */
export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  readonly note?: string;
}

function farLabel(far: number): string {
  return far.toExponential(0);
}

/** The verification table: one row per trained margin, best accuracy first in bold elsewhere. */
export function verificationTable(report: DemoReport): ReportTable {
  const far = report.runs[0]?.verification.tarAtFar.targetFar ?? 1e-3;
  return {
    id: 'verification',
    title: 'Verification on held-out identities',
    header: ['margin', 'options', 'accuracy (10-fold)', `TAR@FAR=${farLabel(far)}`, 'ROC AUC', 'loss first → last', 'θ_y first → last', 'train time'],
    rows: report.runs.map((run) => {
      const loss = run.training.loss;
      const theta = run.training.theta;
      return [
        `${run.label} (${run.margin.name})`,
        formatOptions(run.margin.options),
        formatPercentPm(run.verification.accuracy.mean, run.verification.accuracy.std),
        formatPercentPm(run.verification.tarAtFar.tar.mean, run.verification.tarAtFar.tar.std),
        formatNumber(run.verification.auc, 4),
        loss.length === 0 ? 'n/a' : `${formatNumber(loss[0]?.loss ?? Number.NaN, 3)} → ${formatNumber(loss[loss.length - 1]?.loss ?? Number.NaN, 3)}`,
        theta.length === 0 ? 'n/a' : `${formatDegrees(theta[0]?.mean ?? Number.NaN)} → ${formatDegrees(theta[theta.length - 1]?.mean ?? Number.NaN)}`,
        formatDuration(run.training.durationMs),
      ];
    }),
    note:
      `${report.runs[0]?.verification.pairs ?? 0} pairs (${report.runs[0]?.verification.samePairs ?? 0} same) from ` +
      `${report.dataset.heldOutIdentities} identities never seen in training; insightface's protocol: flip-summed ` +
      'embeddings, squared L2 distance, threshold chosen on 9 folds and scored on the 10th.',
  };
}

/** The paper's Table 3 statistics per margin. */
export function angleTable(report: DemoReport): ReportTable {
  return {
    id: 'angles',
    title: 'Angle statistics (the paper\'s Table 3)',
    header: ['margin', 'W-EC', 'W-Inter', 'Intra (train)', 'Inter (train)', 'Intra (held-out)', 'Inter (held-out)'],
    rows: report.runs.map((run) => [
      run.label,
      formatDegrees(run.angles.wEc),
      formatDegrees(run.angles.wInter),
      formatDegrees(run.angles.intra),
      formatDegrees(run.angles.inter),
      formatDegrees(run.heldOutAngles.intra),
      formatDegrees(run.heldOutAngles.inter),
    ]),
    note:
      'W-EC: angle between each class centre and its features\' centre. W-Inter: smallest angle between class centres. ' +
      'Intra: angle from features to their class\'s feature centre. Inter: smallest angle between feature centres. ' +
      'A margin loss should lower W-EC and Intra and raise Inter.',
  };
}

/** The toy experiment's measurements. */
export function toyTable(report: DemoReport): ReportTable | undefined {
  const toy = report.toy;
  if (toy === undefined) return undefined;
  return {
    id: 'toy',
    title: 'Toy experiment (2-D features)',
    header: ['loss', 'nearest-class geodesic gap', 'intra-class spread', 'train accuracy'],
    rows: toy.panels.map((p) => [`${p.label} (${p.margin.name})`, formatDegrees(p.gapDegrees), formatDegrees(p.intraDegrees), formatPercent(p.accuracy, 1)]),
    note: `${toy.identities} identities × ${toy.samplesPerIdentity} images, ${toy.steps} steps each. A negative gap means neighbouring classes overlap on the circle.`,
  };
}

/** How the run was set up. */
export function settingsTable(report: DemoReport): ReportTable {
  const s = report.settings;
  const d = report.dataset;
  const e = report.environment;
  return {
    id: 'settings',
    title: 'Settings',
    header: ['setting', 'value'],
    rows: [
      ['data', `${d.source}: ${d.trainIdentities} training identities (${d.trainImages} images), ${d.heldOutIdentities} held-out (${d.heldOutImages} images), ${d.imageShape.join('×')}`],
      ['backbone', `${s.backbone.name} (${formatOptions(s.backbone.options)})`],
      ['training', `${s.steps} steps of batch ${s.batchSize}${s.quick ? ' (--quick)' : ''}, seed ${s.seed}`],
      ['optimizer', formatOptions(s.optimizer)],
      ['backend', e.backendNote === undefined ? e.backend : `${e.backend} (${e.backendNote})`],
      ['machine', `${e.cpus} × ${e.cpuModel}, ${e.platform}, Node ${e.node}`],
      ['total time', formatDuration(report.durationMs)],
    ],
  };
}

/** Every table of the report, in reading order. */
export function reportTables(report: DemoReport): ReportTable[] {
  const toy = toyTable(report);
  return [verificationTable(report), angleTable(report), ...(toy === undefined ? [] : [toy]), settingsTable(report)];
}

/**
 * The headline: ArcFace against the normalised-softmax baseline on held-out identities,
 * or undefined when the report lacks one of them.
 */
export function headline(report: DemoReport): string | undefined {
  const arc = report.runs.find((r) => r.margin.name === 'additive-angular');
  const base = report.runs.find((r) => r.margin.name === 'softmax-normalized');
  if (arc === undefined || base === undefined) return undefined;
  const delta = 100 * (arc.verification.accuracy.mean - base.verification.accuracy.mean);
  const verdict = delta > 0 ? 'beats' : delta < 0 ? 'trails' : 'ties';
  return (
    `${arc.label} ${verdict} ${base.label} on held-out identities: ` +
    `${formatPercent(arc.verification.accuracy.mean)} vs ${formatPercent(base.verification.accuracy.mean)} ` +
    `(${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points), TAR@FAR=${farLabel(arc.verification.tarAtFar.targetFar)} ` +
    `${formatPercent(arc.verification.tarAtFar.tar.mean)} vs ${formatPercent(base.verification.tarAtFar.tar.mean)}.`
  );
}

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

/** An interval in percent: `[91.20, 94.80]`. */
function percentInterval(low: number, high: number, digits = 2): string {
  return Number.isFinite(low) && Number.isFinite(high) ? `[${(100 * low).toFixed(digits)}, ${(100 * high).toFixed(digits)}]` : 'n/a (one seed)';
}

/** A p-value as a statement: `p = 0.0123`, `p < 0.0001`. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return 'p n/a';
  return p < 1e-4 ? 'p < 0.0001' : `p = ${p.toFixed(4)}`;
}

/** Per margin over seeds: mean held-out accuracy with its 95% t interval, AUC and TAR means. */
export function summaryTable(report: DemoReport): ReportTable {
  const far = report.runs[0]?.verification.tarAtFar.targetFar ?? 1e-3;
  const seeds = report.settings.seeds.length;
  return {
    id: 'summary',
    title: `Held-out accuracy over ${seeds} seed${seeds === 1 ? '' : 's'}`,
    header: ['margin', 'options', 'mean accuracy', '95% interval (t, over seeds)', 'per seed', 'mean ROC AUC', `mean TAR@FAR=${farLabel(far)}`],
    rows: report.summary.map((s) => {
      const options = report.runs.find((r) => r.margin.name === s.name)?.margin.options ?? {};
      return [
        `${s.label} (${s.name})`,
        formatOptions(options),
        formatPercent(s.accuracy.mean),
        percentInterval(s.accuracy.low, s.accuracy.high),
        s.accuracies.map((a) => (100 * a).toFixed(2)).join(', '),
        formatNumber(s.auc.mean, 4),
        formatPercent(s.tar.mean),
      ];
    }),
    note:
      'Each seed draws its own data (synthetic identities, or the split of a face folder into training and held-out people), initial weights and batch order, ' +
      'and every margin trains on the same ones (paired). The interval is mean ± t(0.975, n−1)·sd/√n over seeds. Accuracy is 10-fold verification on identities never seen in training.',
  };
}

/** ArcFace − Norm-Softmax, paired seed by seed, with the t interval and both tests. */
export function comparisonTable(report: DemoReport): ReportTable | undefined {
  const c = report.comparison;
  if (c === undefined) return undefined;
  const points = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}` : 'n/a');
  return {
    id: 'comparison',
    title: `Paired difference: ${c.a} − ${c.b}`,
    header: ['seeds', 'difference per seed (points)', 'mean difference', '95% interval (points)', 'paired t-test', 'sign test'],
    rows: [
      [
        String(c.seeds.length),
        c.differences.map(points).join(', '),
        `${points(c.difference.mean)} points`,
        Number.isFinite(c.difference.low) ? `[${points(c.difference.low)}, ${points(c.difference.high)}]` : 'n/a (one seed)',
        Number.isFinite(c.tTest.p) ? `t = ${c.tTest.t.toFixed(2)}, df = ${c.tTest.df}, ${formatP(c.tTest.p)}` : 'n/a',
        `${c.signTest.wins} wins, ${c.signTest.losses} losses${c.signTest.ties > 0 ? `, ${c.signTest.ties} ties` : ''}; ${formatP(c.signTest.p)}`,
      ],
    ],
    note: 'Both p-values are two-sided. The sign test is exact (binomial, ties dropped); with n seeds its smallest possible p is 2/2ⁿ.',
  };
}

/** Every run: one row per seed and margin. */
export function verificationTable(report: DemoReport): ReportTable {
  const far = report.runs[0]?.verification.tarAtFar.targetFar ?? 1e-3;
  return {
    id: 'verification',
    title: 'Every run on held-out identities',
    header: ['seed', 'margin', 'accuracy (10-fold)', `TAR@FAR=${farLabel(far)}`, 'ROC AUC', 'loss first → last', 'θ_y first → last', 'train time'],
    rows: report.runs.map((run) => {
      const loss = run.training.loss;
      const theta = run.training.theta;
      return [
        String(run.seed),
        run.label,
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
      `${report.dataset.heldOutIdentities} identities never seen in training, per seed; insightface's protocol: flip-summed ` +
      'embeddings, squared L2 distance, threshold chosen on 9 folds and scored on the 10th (± is the spread over folds).',
  };
}

function meanOf(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/** The paper's Table 3 statistics per margin, averaged over seeds. */
export function angleTable(report: DemoReport): ReportTable {
  return {
    id: 'angles',
    title: 'Angle statistics (the paper\'s Table 3), mean over seeds',
    header: ['margin', 'W-EC', 'W-Inter', 'Intra (train)', 'Inter (train)', 'Intra (held-out)', 'Inter (held-out)'],
    rows: report.summary.map((s) => {
      const own = report.runs.filter((r) => r.margin.name === s.name);
      const m = (pick: (r: (typeof own)[number]) => number): string => formatDegrees(meanOf(own.map(pick)));
      return [s.label, m((r) => r.angles.wEc), m((r) => r.angles.wInter), m((r) => r.angles.intra), m((r) => r.angles.inter), m((r) => r.heldOutAngles.intra), m((r) => r.heldOutAngles.inter)];
    }),
    note:
      'W-EC: angle between each class centre and its features\' centre. W-Inter: smallest angle between class centres. ' +
      'Intra: angle from features to their class\'s feature centre. Inter: smallest angle between feature centres. ' +
      'A margin loss should lower W-EC and Intra and raise Inter.',
  };
}

/** The appendix study: smallest angle between centres against the number of classes. */
export function classCountTable(report: DemoReport): ReportTable | undefined {
  const study = report.classCounts;
  if (study === undefined || study.points.length === 0) return undefined;
  return {
    id: 'class-counts',
    title: 'Smallest angle between class centres against the number of classes',
    header: ['classes', `${study.label}: smallest angle`, `${study.label}: mean nearest (W-Inter)`, `random centres in ${study.embeddingSize}-D: smallest angle`],
    rows: study.points.map((p) => [String(p.classes), formatDegrees(p.trained), formatDegrees(p.trainedMeanNearest), formatDegrees(p.random)]),
    note:
      `${study.label} trained ${study.steps} steps on the first C training identities of the first seed, for each C. The random column is the mean over 200 draws of C ` +
      `uniform directions in ${study.embeddingSize} dimensions. The paper's appendix: with more classes the smallest angle falls, slowly.`,
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
      ['recipe', `${s.recipe.name}: ${s.recipe.description}`],
      ['training', `${s.steps} steps of batch ${s.batchSize}${s.quick ? ' (--quick smoke test)' : ''} per margin and seed; seeds ${s.seeds.join(', ')}`],
      ['augmentation', formatOptions(s.augment)],
      ['optimizer', formatOptions(s.optimizer)],
      ['backend', e.backendNote === undefined ? e.backend : `${e.backend} (${e.backendNote})`],
      ['machine', `${e.cpus} × ${e.cpuModel}, ${e.platform}, Node ${e.node}`],
      ['total time', formatDuration(report.durationMs)],
    ],
  };
}

/** Every table of the report, in reading order. */
export function reportTables(report: DemoReport): ReportTable[] {
  const optional = (t: ReportTable | undefined): ReportTable[] => (t === undefined ? [] : [t]);
  return [
    summaryTable(report),
    ...optional(comparisonTable(report)),
    verificationTable(report),
    angleTable(report),
    ...optional(classCountTable(report)),
    ...optional(toyTable(report)),
    settingsTable(report),
  ];
}

/**
 * The headline: a smoke-test notice for `--quick`; otherwise ArcFace against the normalised-
 * softmax baseline over seeds, with the paired interval and both tests. Undefined when the
 * report lacks one of the two.
 */
export function headline(report: DemoReport): string | undefined {
  if (report.settings.quick) {
    return 'Smoke test (--quick): every margin, the evaluation and every chart ran, on one seed for a few steps. It is too short to compare margins and makes no claim.';
  }
  const c = report.comparison;
  const arc = report.summary.find((s) => s.name === 'additive-angular');
  const base = report.summary.find((s) => s.name === 'softmax-normalized');
  if (c === undefined || arc === undefined || base === undefined) return undefined;
  const delta = 100 * c.difference.mean;
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  const means = `${c.a} ${formatPercent(arc.accuracy.mean)} vs ${c.b} ${formatPercent(base.accuracy.mean)} mean held-out accuracy over ${c.seeds.length} paired seeds`;
  if (!Number.isFinite(c.difference.low)) return `${means} (${signed(delta)} points; one seed gives no interval).`;
  const interval = `95% interval [${signed(100 * c.difference.low)}, ${signed(100 * c.difference.high)}] points`;
  const tests = `paired t-test ${formatP(c.tTest.p)}, sign test ${c.signTest.wins}/${c.signTest.wins + c.signTest.losses} (${formatP(c.signTest.p)})`;
  const verdict =
    c.difference.low > 0 ? `${c.a} beats ${c.b}` : c.difference.high < 0 ? `${c.a} trails ${c.b}` : `No significant difference between ${c.a} and ${c.b}`;
  return `${verdict}: ${means}, difference ${signed(delta)} points, ${interval}; ${tests}.`;
}

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { inspectPng } from '../plots/png-inspect';
import { dataMarkShapes, legendLabels, parseSvg } from '../plots/svg-inspect';
import { formatPercentPm } from './format';
import { makeReportFixture } from './test-fixtures/report';
import { headline } from './report-tables';
import { writeReport } from './write-report';

const closedForms: Record<string, (theta: number) => number> = {
  'additive-angular': (t) => Math.cos(t + 0.5),
  'additive-cosine': (t) => Math.cos(t) - 0.35,
  'softmax-normalized': (t) => Math.cos(t),
};

describe('writeReport', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes report.json, report.md, a self-contained index.html and every chart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcface-report-'));
    dirs.push(dir);
    const report = makeReportFixture();
    const written = await writeReport(dir, report, {
      resolveMargin: (spec) => (closedForms[spec.name] === undefined ? undefined : { targetLogit: closedForms[spec.name] as (t: number) => number }),
    });
    expect(written).toContain(join(dir, 'index.html'));
    expect((await readdir(join(dir, 'plots'))).sort()).toEqual(
      ['angles', 'angles-over-training', 'class-counts', 'loss', 'roc', 'seeds', 'target-logits', 'theta', 'toy'].flatMap((id) => [`${id}.png`, `${id}.svg`]).sort(),
    );

    // The JSON is the report, number for number.
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));

    const md = await readFile(join(dir, 'report.md'), 'utf8');
    for (const run of report.runs) expect(md).toContain(formatPercentPm(run.verification.accuracy.mean, run.verification.accuracy.std));
    expect(md).toContain(headline(report));
    expect(md).toContain('![Toy experiment](plots/toy.svg)');
    for (const id of ['angles-over-training', 'class-counts', 'target-logits', 'seeds']) expect(md).toMatch(new RegExp(`\\(plots/${id}\\.svg\\)`));
    // Per margin: mean and t interval over the three seeds (ArcFace 0.95, 0.94, 0.96: t(0.975, 2) = 4.3027).
    expect(md).toContain('| ArcFace (additive-angular) | m=0.5, s=32 | 95.00% | [92.52, 97.48] | 95.00, 94.00, 96.00 |');
    // Paired differences 7, 6, 8 points; SciPy: ttest_1samp t = 12.1244, p = 0.006734; t.interval [4.5159, 9.4841]; binomtest(3, 3) p = 0.25.
    expect(md).toContain('| 3 | +7.00, +6.00, +8.00 | +7.00 points | [+4.52, +9.48] | t = 12.12, df = 2, p = 0.0067 | 3 wins, 0 losses; p = 0.2500 |');

    const html = await readFile(join(dir, 'index.html'), 'utf8');
    // Offline: no script, no external reference of any kind.
    expect(html).not.toMatch(/<script|<link|\ssrc=|href="http|url\(http|@import/i);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(9);
    expect(html).toContain(
      'ArcFace beats Norm-Softmax: ArcFace 95.00% vs Norm-Softmax 88.00% mean held-out accuracy over 3 paired seeds, difference +7.00 points, ' +
        '95% interval [+4.52, +9.48] points; paired t-test p = 0.0067, sign test 3/3 (p = 0.2500).',
    );

    const roc = parseSvg(await readFile(join(dir, 'plots', 'roc.svg'), 'utf8'));
    expect(legendLabels(roc)).toEqual(['ArcFace (AUC 0.9750)', 'CosFace (AUC 0.9650)', 'Norm-Softmax (AUC 0.9400)']);
    const curves = parseSvg(await readFile(join(dir, 'plots', 'target-logits.svg'), 'utf8'));
    expect(dataMarkShapes(curves, 'line')).toHaveLength(3);

    const png = await inspectPng(await readFile(join(dir, 'plots', 'toy.png')));
    expect(png.foregroundFraction).toBeGreaterThan(0.01);
  });

  it('leaves the target-logit chart out when no margin can be rebuilt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcface-report-'));
    dirs.push(dir);
    await writeReport(dir, makeReportFixture(), { resolveMargin: () => undefined, png: false });
    expect((await readdir(join(dir, 'plots'))).sort()).toEqual(
      ['angles-over-training.svg', 'angles.svg', 'class-counts.svg', 'loss.svg', 'roc.svg', 'seeds.svg', 'theta.svg', 'toy.svg'],
    );
  });

  it('a --quick report says it is a smoke test and makes no claim', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcface-report-'));
    dirs.push(dir);
    const report = makeReportFixture({ quick: true });
    await writeReport(dir, report, { resolveMargin: () => undefined, png: false });
    const md = await readFile(join(dir, 'report.md'), 'utf8');
    expect(headline(report)).toMatch(/^Smoke test \(--quick\).*makes no claim\.$/);
    expect(md).toContain(headline(report));
    expect(md).not.toMatch(/beats|trails|significant/);
    expect(md).toContain('n/a (one seed)');
  });
});

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { inspectPng } from '../plots/png-inspect';
import { dataMarkShapes, legendLabels, parseSvg } from '../plots/svg-inspect';
import { formatPercentPm } from './format';
import { makeReportFixture } from './report-fixture';
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
      ['angles', 'loss', 'roc', 'target-logits', 'theta', 'toy'].flatMap((id) => [`${id}.png`, `${id}.svg`]).sort(),
    );

    // The JSON is the report, number for number.
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));

    const md = await readFile(join(dir, 'report.md'), 'utf8');
    for (const run of report.runs) expect(md).toContain(formatPercentPm(run.verification.accuracy.mean, run.verification.accuracy.std));
    expect(md).toContain(headline(report));
    expect(md).toContain('![Toy experiment](plots/toy.svg)');

    const html = await readFile(join(dir, 'index.html'), 'utf8');
    // Offline: no script, no external reference of any kind.
    expect(html).not.toMatch(/<script|<link|\ssrc=|href="http|url\(http|@import/i);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(6);
    expect(html).toContain('ArcFace beats Norm-Softmax on held-out identities: 95.00% vs 88.00% (+7.00 points)');

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
    expect((await readdir(join(dir, 'plots'))).sort()).toEqual(['angles.svg', 'loss.svg', 'roc.svg', 'theta.svg', 'toy.svg']);
  });
});

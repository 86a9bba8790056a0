import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { DemoReport } from '../report/demo-report';
import { runCliProcess } from './run-cli-process';

describe('arcface demo --quick (child process)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('trains and evaluates every margin and writes the report folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arcface-demo-'));
    dirs.push(dir);
    const out = join(dir, 'report');
    const run = await runCliProcess(['demo', '--quick', '--workers', '2', '--out', out, '--backend', 'wasm'], { timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Estimated time: \d+ min/);
    expect(run.stderr).toContain('Recipe: quick (smoke test');
    expect(run.stderr).toContain('in 2 worker processes');
    expect(run.stderr).toMatch(/This is a smoke test \(--quick\).*makes no claim/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DemoReport;
    expect(report.runs.map((r) => r.margin.name)).toEqual(['additive-angular', 'additive-cosine', 'multiplicative-angular', 'combined', 'softmax-normalized']);
    expect(report.settings.seeds).toEqual([1]);
    expect(report.summary.map((s) => s.accuracies.length)).toEqual([1, 1, 1, 1, 1]);
    for (const r of report.runs) {
      expect(r.seed).toBe(1);
      expect(r.training.loss).toHaveLength(r.training.steps);
      // Snapshots of θ_y and Table 3 at the start, in between and at the end.
      expect(r.training.angles.length).toBeGreaterThanOrEqual(2);
      expect(r.training.angles[0]?.step).toBe(0);
      expect(r.training.angles[r.training.angles.length - 1]?.step).toBe(r.training.steps);
      expect(r.verification.folds).toBe(10);
      expect(r.verification.accuracy.mean).toBeGreaterThan(0);
      expect(r.verification.accuracy.mean).toBeLessThanOrEqual(1);
      expect(r.verification.pairs).toBe(100);
      expect(Number.isFinite(r.angles.intra)).toBe(true);
      // Learning, on the training identities: 10 quick steps do not yet verify unseen faces
      // better than an untrained net (both about 0.7 here), but they turn the class centres
      // towards their classes. Untrained (or with a zeroed gradient) each centre sits at 90° from
      // its class's feature centre, with a negated gradient at 124–129°; trained, 65–70°. The
      // mean target angle θ_y falls from 89.8° by 15–19° (zeroed: +0.4°, negated: +24°).
      expect(r.angles.wEc, r.label).toBeLessThan(80);
      const theta = r.training.theta;
      expect(theta.at(-1)!.mean, r.label).toBeLessThan(theta[0]!.mean - 10);
    }
    expect(report.toy?.panels.map((p) => p.label)).toEqual(['Softmax', 'ArcFace']);
    expect(report.classCounts?.points.map((p) => p.classes)).toEqual([4, 8]);
    expect((await readdir(join(out, 'plots'))).filter((f) => f.endsWith('.svg')).sort()).toEqual(
      ['angles-over-training.svg', 'angles.svg', 'class-counts.svg', 'loss.svg', 'roc.svg', 'seeds.svg', 'target-logits.svg', 'theta.svg', 'toy.svg'],
    );
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|\ssrc=/i);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(9);
    expect(html).toContain('Smoke test (--quick)');
    // The tables carry the run's own numbers.
    const md = await readFile(join(out, 'report.md'), 'utf8');
    const arc = report.runs[0];
    expect(md).toContain(`${(100 * (arc?.verification.accuracy.mean ?? 0)).toFixed(2)} ± ${(100 * (arc?.verification.accuracy.std ?? 0)).toFixed(2)}%`);
  }, 400_000);
});

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
    const run = await runCliProcess(['demo', '--quick', '--out', out, '--backend', 'wasm'], { timeoutMs: 300_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Estimated time: \d+ min/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DemoReport;
    expect(report.runs.map((r) => r.margin.name)).toEqual(['additive-angular', 'additive-cosine', 'multiplicative-angular', 'combined', 'softmax-normalized']);
    for (const r of report.runs) {
      expect(r.training.loss).toHaveLength(r.training.steps);
      expect(r.verification.folds).toBe(10);
      expect(r.verification.accuracy.mean).toBeGreaterThan(0);
      expect(r.verification.accuracy.mean).toBeLessThanOrEqual(1);
      expect(r.verification.pairs).toBe(100);
      expect(Number.isFinite(r.angles.intra)).toBe(true);
    }
    expect(report.toy?.panels.map((p) => p.label)).toEqual(['Softmax', 'ArcFace']);
    expect((await readdir(join(out, 'plots'))).filter((f) => f.endsWith('.svg')).sort()).toEqual(
      ['angles.svg', 'loss.svg', 'roc.svg', 'target-logits.svg', 'theta.svg', 'toy.svg'],
    );
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link|\ssrc=/i);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(6);
    // The tables carry the run's own numbers.
    const md = await readFile(join(out, 'report.md'), 'utf8');
    const arc = report.runs[0];
    expect(md).toContain(`${(100 * (arc?.verification.accuracy.mean ?? 0)).toFixed(2)} ± ${(100 * (arc?.verification.accuracy.std ?? 0)).toFixed(2)}%`);
  }, 400_000);
});

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, describeEachBackend, registerGradients } from '@arcface/testing';
import { fileCheckpointStore, readCheckpointFile } from '../node/file-checkpoint-store';
import { createTrainer } from './create-trainer';
import { maxDifference, smallRunConfig, snapshot } from './test-fixtures/small-run';

const HERE = dirname(fileURLToPath(import.meta.url));
const TSX = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const root = mkdtempSync(join(tmpdir(), 'arcface-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Starts a TypeScript child process resolving workspace packages to their sources. */
function child(script: string, args: string[]) {
  return spawn(process.execPath, ['--conditions=@arcface/source', '--import', TSX, join(HERE, 'test-fixtures', script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
}

describeEachBackend('training is deterministic and resumes exactly', (backend) => {
  for (const variant of [
    { name: 'full classifier', accumulation: 1, head: 'full' },
    { name: 'Partial FC + 2-step accumulation', accumulation: 2, head: 'partial-fc' },
  ] as const) {
    it(`${variant.name}: 8 steps straight = 3 steps, SIGKILL of the process, resume to 8 (≤ 1e-6)`, async () => {
      await registerGradients();
      const head = variant.head === 'partial-fc' ? ({ type: 'partial-fc', sampleRate: 0.5 } as const) : ({ type: 'full' } as const);
      const straight = createTrainer(smallRunConfig({ accumulationSteps: variant.accumulation, head }));
      await straight.train();
      const expected = await snapshot(straight);
      const losses = straight.history.map((m) => m.loss);
      straight.dispose();

      const dir = join(root, `${backend}-${variant.head}`);
      const proc = child('train-child.ts', [backend, dir, String(variant.accumulation), variant.head]);
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (/step 3\n/.test(out)) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
        proc.on('exit', (code) => reject(new Error(`child exited (${code}) before step 3: ${stderr}`)));
      });
      await new Promise((resolve) => proc.once('close', resolve));
      expect(proc.signalCode).toBe('SIGKILL');

      const resumed = createTrainer(smallRunConfig({ accumulationSteps: variant.accumulation, head, checkpoint: { store: fileCheckpointStore(dir), every: 1 } }));
      const result = await resumed.train();
      const resumedFrom = resumed.history[0]?.step;
      expect(resumedFrom).toBeGreaterThanOrEqual(4);
      expect(result.step).toBe(8);
      expect(maxDifference(await snapshot(resumed), expected)).toBeLessThanOrEqual(1e-6);
      // The resumed steps saw the same data in the same order: equal losses.
      resumed.history.forEach((m) => expect(m.loss).toBeCloseTo(losses[m.step - 1] as number, 5));
      resumed.dispose();
    });
  }
});

// The writer is bundled once into plain JavaScript, so each of the 20 children starts with bare
// Node instead of paying the TypeScript loader's start-up every time. It sits under
// node_modules so that its external imports (tfjs) resolve as the sources' would.
const WRITER = join(HERE, '..', '..', 'node_modules', '.cache', 'arcface-tests', 'checkpoint-writer-child.mjs');
beforeAll(async () => {
  await build({
    entryPoints: [join(HERE, 'test-fixtures', 'checkpoint-writer-child.ts')],
    outfile: WRITER,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@arcface/source'],
    external: ['@tensorflow/*'],
    logLevel: 'silent',
  });
});

it('killing the process during checkpoint writes never leaves an unreadable checkpoint (20 random kills)', async () => {
  const dir = join(root, 'kills');
  let corrupted = 0;
  let step = 0;
  for (let kill = 0; kill < 20; kill++) {
    const proc = spawn(process.execPath, [WRITER, dir, String(step)], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.once('data', () => resolve());
      proc.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    // A random moment within the first ~120 ms of writing (several 1 MB checkpoints).
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 120)));
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('close', resolve));
    // A kill before the child's first write leaves no folder at all, which is a valid outcome.
    const names = existsSync(dir) ? readdirSync(dir) : [];
    for (const name of names.filter((n) => n.endsWith('.arcface'))) {
      try {
        await readCheckpointFile(join(dir, name));
      } catch {
        corrupted++;
      }
    }
    const latest = await fileCheckpointStore(dir).latest();
    if (latest !== undefined) {
      expect((latest.contents.arrays[0]?.data[0] as number)).toBe(latest.step);
      step = latest.step + 1;
    }
  }
  expect(corrupted).toBe(0);
  expect(existsSync(dir)).toBe(true);
  expect(step).toBeGreaterThan(0);
}, 180_000);


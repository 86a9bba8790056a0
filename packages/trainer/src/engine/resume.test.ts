import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMargin, listMargins } from '@arcface/margins';
import { registerContribMargins } from '@arcface/margins-contrib';
import { REPO_ROOT, describeEachBackend, registerGradients, useBackend } from '@arcface/testing';
import { memoryCheckpointStore } from '../checkpoint/memory-checkpoint-store';
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

// Every registered margin, built-in and contrib, with the options under which a trainer with one
// centre row per class runs it; the stateful ones with rates at which their state moves fast.
const MARGIN_OPTIONS: Record<string, Record<string, unknown>> = {
  adaface: { tAlpha: 0.3 },
  curricularface: { momentum: 0.3 },
  elasticface: { plus: true },
  'subcenter-arcface': { k: 1 },
};

/** Bundles a child-process fixture of test-fixtures/ into one plain JavaScript file (tfjs left external). */
async function bundleChild(fixture: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(HERE, 'test-fixtures', fixture)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@arcface/source'],
    external: ['@tensorflow/*'],
    logLevel: 'silent',
  });
}

// The training child, bundled once into plain JavaScript (as the writer below), so each margin's
// process starts with bare Node.
const TRAINER_CHILD = join(HERE, '..', '..', 'node_modules', '.cache', 'arcface-tests', 'train-child.mjs');

describe('every registered margin resumes exactly after a SIGKILL at a random step', () => {
  let unregister: () => void = () => {};
  beforeAll(async () => {
    await useBackend('cpu');
    await registerGradients();
    unregister = registerContribMargins();
    await bundleChild('train-child.ts', TRAINER_CHILD);
  });
  afterAll(() => unregister());

  it('lists the contrib margins with the built-ins', () => {
    expect(listMargins()).toEqual(expect.arrayContaining(['additive-angular', 'adaface', 'curricularface', 'elasticface']));
  });

  // additive-angular is the run of the tests above (on every backend, Partial FC included)
  const names = ['additive-cosine', 'combined', 'multiplicative-angular', 'softmax-normalized'];
  const contrib = ['adaface', 'curricularface', 'elasticface', 'magface', 'subcenter-arcface', 'uniface'];
  for (const name of [...names, ...contrib]) {
    it(`${name}: 8 steps straight = a SIGKILL at a random step, then resume to 8 (≤ 1e-6)`, async () => {
      // every registered name is covered: a margin registered later without a case here fails
      expect(listMargins()).toEqual(['additive-angular', ...names, ...contrib].sort());
      const margin = { name, options: { s: 8, ...MARGIN_OPTIONS[name] } };
      const straight = createTrainer(smallRunConfig({ margin }));
      await straight.train();
      const expected = await snapshot(straight);
      const losses = straight.history.map((m) => m.loss);
      straight.dispose();

      // a random step in 1..5, leaving the child (50 ms between steps) time to be killed before step 8
      const killAt = 1 + Math.floor(Math.random() * 5);
      const dir = join(root, `margin-${name}`);
      const proc = spawn(process.execPath, [TRAINER_CHILD, 'cpu', dir, '1', 'full', JSON.stringify(margin)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (new RegExp(`step ${killAt}\n`).test(out)) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
        proc.on('exit', (code) => reject(new Error(`child exited (${code}) before step ${killAt}: ${stderr}`)));
      });
      await new Promise((resolve) => proc.once('close', resolve));
      expect(proc.signalCode).toBe('SIGKILL');

      // (one checkpoint at the end: the resumed run's own checkpoints are not under test)
      const resumed = createTrainer(smallRunConfig({ margin, checkpoint: { store: fileCheckpointStore(dir), every: 8 } }));
      const result = await resumed.train();
      expect(resumed.history[0]?.step, `killed at step ${killAt}`).toBeGreaterThan(killAt);
      expect(result.step).toBe(8);
      const difference = maxDifference(await snapshot(resumed), expected);
      expect(difference, `${name}, killed at step ${killAt}`).toBeLessThanOrEqual(1e-6);
      resumed.history.forEach((m) => expect(m.loss).toBeCloseTo(losses[m.step - 1] as number, 5));
      resumed.dispose();
    }, 60_000);
  }

  it("a stateful margin's state is in the checkpoint, and a checkpoint without it is refused", async () => {
    const store = memoryCheckpointStore();
    const margin = { name: 'curricularface', options: { s: 8, momentum: 0.3 } };
    const first = createTrainer(smallRunConfig({ margin, steps: 3, checkpoint: { store, every: 1 } }));
    await first.train();
    const saved = await first.margin.readState!();
    first.dispose();
    const latest = await store.latest();
    expect(latest?.contents.meta.marginState).toEqual(saved);
    expect((saved as { t: number }).t).not.toBe(0);
    // a stateless margin writes none
    const plain = memoryCheckpointStore();
    const arc = createTrainer(smallRunConfig({ steps: 1, checkpoint: { store: plain, every: 1 } }));
    await arc.train();
    arc.dispose();
    expect((await plain.latest())?.contents.meta).not.toHaveProperty('marginState');

    const { marginState: _dropped, ...meta } = latest!.contents.meta;
    const old = memoryCheckpointStore();
    await old.save(3, { meta, arrays: latest!.contents.arrays });
    const resumed = createTrainer(smallRunConfig({ margin, checkpoint: { store: old, every: 1 } }));
    await expect(resumed.train()).rejects.toThrow(/carries running state, but the checkpoint has none/);
    resumed.dispose();
    expect(createMargin('curricularface').readState).toBeTypeOf('function');
  });
});

// The writer is bundled once into plain JavaScript, so each of the 20 children starts with bare
// Node instead of paying the TypeScript loader's start-up every time. It sits under
// node_modules so that its external imports (tfjs) resolve as the sources' would.
const WRITER = join(HERE, '..', '..', 'node_modules', '.cache', 'arcface-tests', 'checkpoint-writer-child.mjs');
beforeAll(() => bundleChild('checkpoint-writer-child.ts', WRITER));

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


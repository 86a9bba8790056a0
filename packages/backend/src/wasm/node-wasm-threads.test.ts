import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '@arcface/testing';

const HERE = dirname(fileURLToPath(import.meta.url));
const TSX = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

interface ChildResult {
  backend: string;
  reason: string;
  threads: number;
  relaxedBefore: boolean;
  relaxedAfter: boolean;
  nativeRelaxed: boolean | null;
  execArgv: string[];
  tmpdir: string;
  dx: number[];
  dw: number[];
  product: number[];
  exitMs: number;
}

/** Runs the child to completion; the time from its output to its exit shows nothing keeps it alive. */
function runChild(threads: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // No V8 flags: a plain `node` as a user's application would be started.
    const child = spawn(process.execPath, ['--conditions=@arcface/source', '--import', TSX, join(HERE, 'test-fixtures', 'threaded-wasm-child.ts'), String(threads)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    let printedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n{') || out.startsWith('{')) printedAt ||= Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) return reject(new Error(`child exited ${code}: ${err.slice(-2000)}`));
      resolve({ ...(JSON.parse(line) as Omit<ChildResult, 'exitMs'>), exitMs: Date.now() - printedAt });
    });
  });
}

function maxRelativeDifference(a: readonly number[], b: readonly number[]): number {
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number)) / scale), 0);
}

it.skipIf(availableParallelism() < 2)(
  'starts the threaded wasm build in Node with two threads, computes what one thread computes, and lets the process exit',
  async () => {
    // Its own temporary folder, to see that nothing is written to os.tmpdir().
    const temporary = mkdtempSync(join(tmpdir(), 'arcface-backend-test-'));
    // tsx, which runs the child's TypeScript, keeps a cache there unless told not to.
    const env = { ...process.env, TMPDIR: temporary, TEMP: temporary, TMP: temporary, TSX_DISABLE_CACHE: '1' };
    let two: ChildResult;
    let one: ChildResult;
    try {
      [two, one] = await Promise.all([runChild(2, env), runChild(1, env)]);
      expect(two.tmpdir).toBe(temporary);
      // Importing and using the backend (threads started, a training step, release) wrote nothing there.
      expect(readdirSync(temporary)).toEqual([]);
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
    expect(one.threads).toBe(1);
    expect(two.backend).toBe('wasm');
    expect(two.threads).toBe(2);
    expect(two.reason).toMatch(/2 XNNPACK threads \(threaded SIMD build\)/);
    expect(two.dx.length).toBe(one.dx.length);
    expect(maxRelativeDifference(two.dx, one.dx)).toBeLessThan(1e-5);
    expect(maxRelativeDifference(two.dw, one.dw)).toBeLessThan(1e-5);
    expect(maxRelativeDifference(two.product, one.product)).toBeLessThan(1e-5);
    // Idle pthread workers must not hold the event loop open.
    expect(two.exitMs).toBeLessThan(15_000);
    // No V8 flag was set: relaxed SIMD validates after training exactly as before (on Node 20:
    // not at all, so the plain SIMD build of the native kernels ran).
    expect(two.execArgv).toEqual(['--conditions=@arcface/source', '--import', TSX]);
    expect(two.relaxedAfter).toBe(two.relaxedBefore);
    expect(two.nativeRelaxed).toBe(two.relaxedBefore);
    if (Number(process.versions.node.split('.')[0]) === 20) expect(two.relaxedBefore).toBe(false);
  },
  120_000,
);

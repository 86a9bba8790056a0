import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
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
  dx: number[];
  dw: number[];
  product: number[];
  exitMs: number;
}

/** Runs the child to completion; the time from its output to its exit shows nothing keeps it alive. */
function runChild(threads: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@arcface/source', '--import', TSX, join(HERE, 'test-fixtures', 'threaded-wasm-child.ts'), String(threads)], {
      stdio: ['ignore', 'pipe', 'pipe'],
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
    const [two, one] = await Promise.all([runChild(2), runChild(1)]);
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
  },
  120_000,
);

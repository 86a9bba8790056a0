import { afterEach, describe, expect, it } from 'vitest';
import { ColumnPool, setNativeKernelWaitTimeout, type ExportedKernel } from './column-pool';
import { NativeWorkerLostError } from '../../errors';

/**
 * A module on a shared memory whose one function, `work(flag)`, stores 1 at byte `flag` when
 * the flag address is non-zero, else spins for ever: a worker that never answers.
 *
 *   (module (import "env" "memory" (memory 1 1 shared))
 *     (func (export "work") (param i32 i32 i32)
 *       (if (local.get 0) (then (i32.atomic.store (local.get 0) (i32.const 1)) (return)))
 *       (loop (br 0))))
 */
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  // type: (i32 i32 i32) -> ()
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00,
  // import env.memory: shared, 1..1 pages
  0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01,
  // function 0 of type 0
  0x03, 0x02, 0x01, 0x00,
  // export "work"
  0x07, 0x08, 0x01, 0x04, 0x77, 0x6f, 0x72, 0x6b, 0x00, 0x00,
  // code
  0x0a, 0x17, 0x01, 0x15, 0x00,
  0x20, 0x00, 0x04, 0x40, // local.get 0; if
  0x20, 0x00, 0x41, 0x01, 0xfe, 0x17, 0x02, 0x00, // local.get 0; i32.const 1; i32.atomic.store align=2 offset=0
  0x0f, 0x0b, // return; end
  0x03, 0x40, 0x0c, 0x00, 0x0b, // loop; br 0; end
  0x0b,
]);

const pools: ColumnPool[] = [];

/** A pool of `threads` on the module; `callerKernel` replaces the calling thread's own instance. */
function pool(threads: number, callerKernel?: ExportedKernel): { pool: ColumnPool; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const module = new WebAssembly.Module(MODULE);
  const local = callerKernel ?? (new WebAssembly.Instance(module, { env: { memory } }).exports.work as ExportedKernel);
  const made = ColumnPool.create(module, memory, ['work'], [local], threads);
  pools.push(made);
  return { pool: made, memory };
}

async function ready(p: ColumnPool, threads: number): Promise<void> {
  for (let i = 0; i < 400 && p.threads < threads; i++) await new Promise((r) => setTimeout(r, 10));
  expect(p.threads).toBe(threads);
}

/** The workers of a pool (a test's look inside). */
function workers(p: ColumnPool): Array<{ terminate(): Promise<number>; threadId: number }> {
  return (p as unknown as { helpers: Array<{ worker: { terminate(): Promise<number>; threadId: number } }> }).helpers.map((h) => h.worker);
}

describe('native worker threads that end', () => {
  afterEach(() => {
    for (const p of pools.splice(0)) p.close();
  });

  it('a call on a healthy pool runs every block (the module works)', async () => {
    const { pool: p, memory } = pool(3);
    await ready(p, 3);
    const flags = new Int32Array(memory.buffer);
    // Three blocks of 8 columns, one per thread, each storing 1 at the address given.
    p.run(0, [64], 24);
    expect(Atomics.load(flags, 16)).toBe(1);
  });

  it('a worker killed between calls fails the next call at once with NativeWorkerLostError naming it; the pool goes on', async () => {
    const { pool: p, memory } = pool(3);
    await ready(p, 3);
    const victim = workers(p)[0]!;
    const threadId = victim.threadId; // -1 once it has exited
    const code = await victim.terminate();
    const started = performance.now();
    let error: unknown;
    try {
      p.run(0, [64], 24);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeWorkerLostError);
    expect((error as NativeWorkerLostError).code).toBe('ERR_NATIVE_WORKER_LOST');
    expect((error as Error).message).toContain(`native kernel worker 1 (thread ${threadId}) exited with code ${code}`);
    expect((error as Error).message).toContain("'work'");
    expect(performance.now() - started).toBeLessThan(1000);
    // The others carry on.
    expect(p.workers).toBe(1);
    new Int32Array(memory.buffer).fill(0);
    p.run(0, [64], 24);
    expect(Atomics.load(new Int32Array(memory.buffer), 16)).toBe(1);
  });

  it('a worker that dies or hangs during a call is given up after the wait timeout with NativeWorkerLostError, not waited for', async () => {
    const previous = setNativeKernelWaitTimeout(300);
    try {
      // The caller's block returns; the worker's spins for ever, as a dead worker never answers.
      const { pool: p } = pool(2, () => {});
      await ready(p, 2);
      const victim = workers(p)[0]!;
      const started = performance.now();
      let error: unknown;
      try {
        p.run(0, [0], 16, true);
      } catch (e) {
        error = e;
      }
      const waited = performance.now() - started;
      expect(error).toBeInstanceOf(NativeWorkerLostError);
      expect((error as Error).message).toContain(`native kernel worker 1 (thread ${victim.threadId}) did not finish its block within`);
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(5000);
      expect(p.workers).toBe(0);
    } finally {
      setNativeKernelWaitTimeout(previous);
    }
  });
});

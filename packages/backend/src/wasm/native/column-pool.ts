import { NativeKernelFailedError, NativeWorkerLostError } from '../../errors';

/**
 * Threads for the native kernels in Node: workers that instantiate the same kernel module on
 * the backend's shared memory, each woken through its own control block (Atomics on a
 * SharedArrayBuffer, no messages) to compute a block of an output's columns while the calling
 * thread computes the first block. The wasm backend's kernels are synchronous, so the caller
 * blocks on `Atomics.wait` until every block is done (allowed on Node's main thread).
 *
 * A blocked main thread cannot hear of a worker's death (Node reports it as an event), so each
 * wait has a deadline: a worker that has not answered by then is taken as lost, terminated,
 * and the call throws {@link NativeWorkerLostError} naming it. A worker whose exit was reported
 * between calls fails the next call the same way, at once. Either way the pool goes on without
 * it, and `close()` (with the backend, or when the kernels are unregistered) ends the others.
 */

/** Slots of a worker's control block (Int32). */
const SEQUENCE = 0; // bumped by the caller for each job
const DONE = 1; // set by the worker to the sequence it finished
const FUNCTION = 2; // index into the export names
const ARGUMENT_COUNT = 3;
const FAILED = 4; // 1 when the last job threw (a wasm trap)
const READY = 5; // 1 once the worker has instantiated the module
const ARGUMENTS = 8;
const CONTROL_SLOTS = 64;

/** Columns per block: the kernels' tiles are 8 columns wide. */
const COLUMN_ALIGNMENT = 8;

// Runs in each worker (CommonJS, `eval: true`): no file to locate, whatever bundles this package.
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { module, memory, control, names } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const functions = names.map((name) => kernels[name]);
const slots = new Int32Array(control);
Atomics.store(slots, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(slots, ${SEQUENCE}, seen);
  seen = Atomics.load(slots, ${SEQUENCE});
  const index = slots[${FUNCTION}];
  if (index < 0) break;
  try {
    functions[index](...slots.subarray(${ARGUMENTS}, ${ARGUMENTS} + slots[${ARGUMENT_COUNT}]));
    slots[${FAILED}] = 0;
  } catch {
    slots[${FAILED}] = 1;
  }
  Atomics.store(slots, ${DONE}, seen);
  Atomics.notify(slots, ${DONE});
}
`;

interface NodeWorker {
  readonly threadId: number;
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'exit', listener: (code: number) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;
}

interface Helper {
  readonly worker: NodeWorker;
  readonly slots: Int32Array;
  /** 1-based, as the caller is thread 0. */
  readonly index: number;
  readonly threadId: number;
  sequence: number;
  /** Why the worker is gone (its exit or error, reported by Node between calls), not yet thrown. */
  lost?: string;
}

/** Milliseconds a call waits for a worker, beyond 20× the caller's own block, before giving it up. */
const DEFAULT_WAIT_MS = 10_000;
let waitMs = DEFAULT_WAIT_MS;

/**
 * How long a native kernel waits for a worker thread (milliseconds, default 10 000) beyond 20
 * times what its own share of the work took, before it gives the worker up as lost and throws
 * {@link NativeWorkerLostError}. Returns the previous value.
 */
export function setNativeKernelWaitTimeout(milliseconds: number): number {
  const previous = waitMs;
  waitMs = Math.max(1, milliseconds);
  return previous;
}

export type ExportedKernel = (...args: number[]) => void;

/** Splits [0, columns) into at most `parts` blocks, aligned to the tile width. */
export function columnBlocks(columns: number, parts: number): Array<[number, number]> {
  const tiles = Math.ceil(columns / COLUMN_ALIGNMENT);
  const count = Math.max(1, Math.min(parts, tiles));
  const blocks: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const from = Math.min(columns, Math.floor((tiles * i) / count) * COLUMN_ALIGNMENT);
    const to = Math.min(columns, Math.floor((tiles * (i + 1)) / count) * COLUMN_ALIGNMENT);
    if (to > from) blocks.push([from, to]);
  }
  return blocks;
}

export class ColumnPool {
  private readonly helpers: Helper[];

  private constructor(
    private readonly names: readonly string[],
    private readonly local: readonly ExportedKernel[],
    helpers: Helper[],
    /** Set when Node reports a worker gone: one read per call on the hot path. */
    private readonly health: { lost: boolean } = { lost: false },
  ) {
    this.helpers = helpers;
  }

  /**
   * A pool of `threads` − 1 workers beside the calling thread, or one that runs everything on
   * the calling thread when workers cannot start (no `worker_threads`, or a memory that is
   * not shared).
   */
  static create(module: WebAssembly.Module, memory: WebAssembly.Memory, names: readonly string[], local: readonly ExportedKernel[], threads: number): ColumnPool {
    const threadsModule = workerThreads();
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    if (threads <= 1 || threadsModule === undefined || !shared) return new ColumnPool(names, local, []);
    const helpers: Helper[] = [];
    const health = { lost: false };
    for (let i = 1; i < threads; i++) {
      const control = new SharedArrayBuffer(CONTROL_SLOTS * 4);
      const worker = new threadsModule.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, names: [...names] } });
      // An idle worker blocks in Atomics.wait; it must not keep the process alive.
      worker.unref();
      const helper: Helper = { worker, slots: new Int32Array(control), index: i, threadId: worker.threadId, sequence: 0 };
      worker.on('exit', (code) => {
        helper.lost ??= `exited with code ${code}`;
        health.lost = true;
      });
      worker.on('error', (error) => {
        helper.lost ??= `threw ${error.message}`;
        health.lost = true;
      });
      helpers.push(helper);
    }
    return new ColumnPool(names, local, helpers, health);
  }

  /** Threads a call can use now: the caller and every worker that has started. */
  get threads(): number {
    return 1 + this.helpers.filter((h) => Atomics.load(h.slots, READY) === 1).length;
  }

  /**
   * Runs kernel `index` with `args` (addresses and sizes: they reach workers as Int32)
   * followed by a column range, over [0, columns) split among
   * the ready threads (`parallel` false: all on the caller, for work too small to be worth a
   * wake-up). Workers still starting are left out of this call.
   */
  run(index: number, args: readonly number[], columns: number, parallel = true): void {
    if (this.health.lost && this.helpers.some((h) => h.lost !== undefined)) this.reportLost(index);
    const ready = parallel ? this.helpers.filter((h) => Atomics.load(h.slots, READY) === 1) : [];
    const blocks = columnBlocks(columns, 1 + ready.length);
    const kernel = this.local[index] as ExportedKernel;
    const started: Helper[] = [];
    for (let i = 1; i < blocks.length; i++) {
      const helper = ready[i - 1] as Helper;
      const [from, to] = blocks[i] as [number, number];
      const slots = helper.slots;
      slots[FUNCTION] = index;
      slots[ARGUMENT_COUNT] = args.length + 2;
      slots.set(args, ARGUMENTS);
      slots[ARGUMENTS + args.length] = from;
      slots[ARGUMENTS + args.length + 1] = to;
      helper.sequence += 1;
      Atomics.store(slots, SEQUENCE, helper.sequence);
      Atomics.notify(slots, SEQUENCE);
      started.push(helper);
    }
    const [from, to] = blocks[0] as [number, number];
    // Boxed, so that whatever the kernel threw (even undefined) is rethrown after the helpers finish.
    let failure: { error: unknown } | undefined;
    const startedAt = started.length > 0 ? performance.now() : 0;
    try {
      kernel(...args, from, to);
    } catch (error) {
      failure = { error };
    }
    let helperFailed = false;
    let timedOut: { helper: Helper; ms: number } | undefined;
    if (started.length > 0) {
      const now = performance.now();
      const deadline = now + waitMs + 20 * (now - startedAt);
      for (const helper of started) {
        for (let done = Atomics.load(helper.slots, DONE); done !== helper.sequence; done = Atomics.load(helper.slots, DONE)) {
          const left = deadline - performance.now();
          if (left <= 0 || Atomics.wait(helper.slots, DONE, done, left) === 'timed-out') {
            if (Atomics.load(helper.slots, DONE) === helper.sequence) break;
            timedOut ??= { helper, ms: Math.round(performance.now() - startedAt) };
            helper.lost ??= 'did not answer';
            void helper.worker.terminate();
            break;
          }
        }
        helperFailed ||= helper.slots[FAILED] === 1;
      }
    }
    if (timedOut !== undefined) {
      this.drop();
      this.health.lost = false;
      throw new NativeWorkerLostError(this.names[index] ?? String(index), describeHelper(timedOut.helper), `did not finish its block within ${timedOut.ms} ms`);
    }
    if (failure !== undefined) throw failure.error;
    if (helperFailed) throw new NativeKernelFailedError(this.names[index] ?? String(index));
  }

  /** Throws for the first lost worker, after taking every lost one out of the pool. */
  private reportLost(index: number): never {
    const lost = this.helpers.find((h) => h.lost !== undefined) as Helper;
    this.drop();
    this.health.lost = false;
    throw new NativeWorkerLostError(this.names[index] ?? String(index), describeHelper(lost), lost.lost as string);
  }

  /** Takes lost workers out of the pool (terminating them, in case one is only stuck). */
  private drop(): void {
    for (let i = this.helpers.length - 1; i >= 0; i--) {
      const helper = this.helpers[i] as Helper;
      if (helper.lost === undefined) continue;
      void helper.worker.terminate();
      this.helpers.splice(i, 1);
    }
  }

  /** Worker threads alive (started or starting). */
  get workers(): number {
    return this.helpers.length;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.isClosed;
  }

  private isClosed = false;

  /** Stops the workers; later calls run on the calling thread alone. Idempotent. */
  close(): void {
    this.isClosed = true;
    for (const helper of this.helpers) {
      helper.lost ??= 'closed';
      helper.slots[FUNCTION] = -1;
      Atomics.store(helper.slots, SEQUENCE, helper.sequence + 1);
      Atomics.notify(helper.slots, SEQUENCE);
      void helper.worker.terminate();
    }
    this.helpers.length = 0;
  }
}

function describeHelper(helper: Helper): string {
  return `native kernel worker ${helper.index} (thread ${helper.threadId})`;
}

function workerThreads(): WorkerThreadsModule | undefined {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return undefined;
  try {
    // No 'node:' prefix: the name must not look like an import to browser bundlers and checks.
    return getBuiltin('worker_threads') as WorkerThreadsModule;
  } catch {
    return undefined;
  }
}

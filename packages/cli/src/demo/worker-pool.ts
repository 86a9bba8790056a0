import { fork, type ChildProcess } from 'node:child_process';

import type { MarginRunReport } from '../report/demo-report';
import type { DemoWorkerInit, DemoWorkerReply, DemoWorkerRequest } from './demo-worker';

/** How the demo starts its worker processes: the `arcface` entry and Node's flags for it. */
export interface DemoWorkers {
  /** Number of processes (one per free core pays: a training step is single-threaded). */
  readonly count: number;
  /** A module that serves the worker protocol when run with `args` (the `arcface` bin). */
  readonly entry: string;
  readonly args: readonly string[];
  /** Node flags for the children [the parent's own]. */
  readonly execArgv?: readonly string[];
}

/**
 * Runs (seed, margin) cells in `workers.count` child processes, each cell as
 * `runDemoMargin` in the demo's own process would, handing the next cell to whichever worker
 * finishes first. Returns the runs in the order of `cells`. A failing cell stops every worker
 * and rejects with its message.
 */
export async function runCellsInWorkers(
  workers: DemoWorkers,
  init: DemoWorkerInit,
  cells: ReadonlyArray<{ readonly seed: number; readonly marginIndex: number }>,
  events: { onStep?: () => void; onDone?: (run: MarginRunReport) => void } = {},
): Promise<MarginRunReport[]> {
  const results: Array<MarginRunReport | undefined> = cells.map(() => undefined);
  let next = 0;
  const children: ChildProcess[] = [];
  const stopAll = (): void => {
    for (const child of children) if (child.exitCode === null) child.kill();
  };
  const work = (): Promise<void> =>
    new Promise((done, fail) => {
      const child = fork(workers.entry, [...workers.args], { execArgv: [...(workers.execArgv ?? process.execArgv)], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
      children.push(child);
      let current = -1;
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        if (error !== undefined) {
          stopAll();
          fail(error);
        } else done();
      };
      const send = (message: DemoWorkerInit | DemoWorkerRequest): void => {
        child.send(message);
      };
      const handOut = (): void => {
        if (next >= cells.length) {
          send({ type: 'stop' });
          return;
        }
        current = next;
        next += 1;
        const cell = cells[current] as { seed: number; marginIndex: number };
        send({ type: 'run', seed: cell.seed, marginIndex: cell.marginIndex });
      };
      child.on('message', (message: DemoWorkerReply) => {
        if (message.type === 'ready') handOut();
        else if (message.type === 'step') events.onStep?.();
        else if (message.type === 'done') {
          results[current] = message.run;
          events.onDone?.(message.run);
          handOut();
        } else if (message.type === 'error') finish(new Error(`demo worker: ${message.message}`));
      });
      child.on('exit', (code, signal) => {
        if (next >= cells.length && (current < 0 || results[current] !== undefined)) finish();
        else finish(new Error(`demo worker exited (${signal ?? code}) before finishing its runs`));
      });
      child.on('error', (error) => finish(error));
      send(init);
    });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers.count, cells.length)) }, () => work()));
  return results.map((r, i) => {
    if (r === undefined) throw new Error(`demo worker pool: cell ${i} has no result`);
    return r;
  });
}

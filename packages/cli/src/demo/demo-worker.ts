import type { MarginRunReport } from '../report/demo-report';
import type { DemoData } from './demo-data';
import type { DemoSettings } from './demo-settings';
import { loadSeedData, runDemoMargin, seedPairs } from './run-margin';

/** What a demo worker process is told first: everything but the cell to run. */
export interface DemoWorkerInit {
  readonly type: 'init';
  readonly settings: DemoSettings;
  readonly data?: string;
  /** The tfjs backend the parent chose (a concrete name, not `auto`). */
  readonly backend: string;
}

/** A request to a worker: one (seed, margin) cell, or stop. */
export type DemoWorkerRequest = { readonly type: 'run'; readonly seed: number; readonly marginIndex: number } | { readonly type: 'stop' };

/** A worker's messages to the demo. */
export type DemoWorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'step'; readonly step: number }
  | { readonly type: 'done'; readonly run: MarginRunReport }
  | { readonly type: 'error'; readonly message: string };

/**
 * The loop of a demo worker process: after `init` it runs each `run` request with
 * {@link runDemoMargin} and replies `done` with the run's report (or `error`), keeping the
 * last seed's data between requests. `setUpBackend` activates the parent's backend first.
 */
export function serveDemoWorker(
  setUpBackend: (backend: string) => Promise<unknown>,
  channel: { send(message: DemoWorkerReply): void; onMessage(listener: (message: DemoWorkerInit | DemoWorkerRequest) => void): void; close(): void },
): void {
  let init: DemoWorkerInit | undefined;
  let cached: { seed: number; data: DemoData } | undefined;
  let queue = Promise.resolve();
  channel.onMessage((message) => {
    queue = queue.then(async () => {
      try {
        if (message.type === 'init') {
          init = message;
          await setUpBackend(message.backend);
          channel.send({ type: 'ready' });
          return;
        }
        if (message.type === 'stop') {
          cached?.data.dispose();
          channel.close();
          return;
        }
        if (init === undefined) throw new Error('demo worker: run before init');
        if (cached?.seed !== message.seed) {
          cached?.data.dispose();
          cached = { seed: message.seed, data: await loadSeedData(init.settings, message.seed, init.data) };
        }
        const run = await runDemoMargin({
          settings: init.settings,
          seed: message.seed,
          marginIndex: message.marginIndex,
          data: cached.data,
          pairs: seedPairs(init.settings, cached.data, message.seed),
          onStep: (step) => channel.send({ type: 'step', step }),
        });
        channel.send({ type: 'done', run });
      } catch (error) {
        channel.send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}

import { serveDemoWorker, type DemoWorkerInit, type DemoWorkerRequest } from '../demo/demo-worker';
import { setUpBackend } from './backend-setup';

/** A demo worker process: the backend the parent chose, then the worker protocol over IPC. */
export function main(): void {
  if (process.send === undefined) {
    process.stderr.write('arcface: the demo worker mode needs an IPC channel; it is started by `arcface demo`, not by hand\n');
    process.exitCode = 1;
    return;
  }
  serveDemoWorker((backend) => setUpBackend(backend, false, () => undefined), {
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', (message) => listener(message as DemoWorkerInit | DemoWorkerRequest)),
    close: () => process.disconnect(),
  });
}

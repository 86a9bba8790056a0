#!/usr/bin/env node
import { runCli } from './program';
import { DEMO_WORKER_ARG } from './demo-worker-arg';

// The demo's worker processes are this same entry, started with a hidden first argument.
if (process.argv[2] === DEMO_WORKER_ARG) {
  void import('./demo-worker-main').then((m) => m.main());
} else {
  // The `arcface` command. Exit codes: 0 done, 1 failed, 2 wrong usage.
  runCli(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`arcface: error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { runCli } from './program';
import { DEMO_WORKER_ARG } from './demo-worker-arg';
import { RELAUNCHED, relaunchArguments } from './relaxed-simd';

function run(): void {
  // The demo's worker processes are this same entry, started with a hidden first argument.
  if (process.argv[2] === DEMO_WORKER_ARG) {
    void import('./demo-worker-main').then((m) => m.main());
    return;
  }
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

// On Node 20 the command starts itself again with relaxed SIMD (see relaxed-simd.ts): same
// arguments, same terminal, its exit code passed on, signals forwarded. Demo workers are forked
// with the parent's flags, so they never restart.
const relaunch = relaunchArguments();
if (relaunch === undefined) {
  run();
} else {
  const child = spawn(process.execPath, relaunch, { stdio: 'inherit', env: { ...process.env, [RELAUNCHED]: '1' } });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward(signal));
  child.on('error', () => run());
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

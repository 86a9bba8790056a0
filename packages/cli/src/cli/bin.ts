#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { runCli } from './program';
import { RELAUNCHED, relaunchArguments } from './relaxed-simd';

// The `arcface` command. Exit codes: 0 done, 1 failed, 2 wrong usage.
function run(): void {
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
// arguments, same terminal, its exit code passed on, signals forwarded.
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

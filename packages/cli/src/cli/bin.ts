#!/usr/bin/env node
import { runCli } from './program';

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

import { expect, it } from 'vitest';
import { RELAUNCHED, RELAXED_SIMD_FLAG, relaunchArguments, validatesRelaxedSimd } from './relaxed-simd';
import { runCliProcess } from './run-cli-process';

it('the arcface command runs with WebAssembly relaxed SIMD (Node 20: it starts itself again with the flag)', async () => {
  // Started as a user would: no V8 flags.
  const run = await runCliProcess(['--version']);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\S* \(Node \d+\.\d+\.\d+; WebAssembly relaxed SIMD: yes\)\n$/);
});

it('restarts only on Node 20 without relaxed SIMD, once, keeping Node options and arguments', () => {
  const runtime = { execArgv: ['--import', 'tsx'], argv: ['/usr/bin/node', '/bin/arcface', 'train', '--steps', '3'], env: {}, nodeMajor: 20 };
  const expected = validatesRelaxedSimd() ? undefined : ['--import', 'tsx', RELAXED_SIMD_FLAG, '/bin/arcface', 'train', '--steps', '3'];
  expect(relaunchArguments(runtime)).toEqual(expected);
  expect(relaunchArguments({ ...runtime, env: { [RELAUNCHED]: '1' } })).toBeUndefined();
  expect(relaunchArguments({ ...runtime, execArgv: [RELAXED_SIMD_FLAG] })).toBeUndefined();
  expect(relaunchArguments({ ...runtime, nodeMajor: 22 })).toBeUndefined();
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectPrintedAsDocumented, instrumentPrinted, readmeExamples } from '@arcface/testing';
import { expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

it('the README example runs and prints what it says', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  // Inside the package (in a folder its .gitignore lists) so that both '@arcface/margins'
  // (a self-reference) and its dependencies resolve as they would for a user.
  const dir = join(packageDir, '.readme-example');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'example.ts');
  writeFileSync(file, code as string);
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@arcface/source', file], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = output.split('\n');
  expect(lines[0]).toBe('true');
  expect(output).toContain("law: 'monotone'");
  expect(output).toMatch(/additive-angular \d+\.\d+ \[ 8, 16 \] \[ 4, 16 \]/);
  expect(output).toMatch(/linear-angular \d+\.\d+ \[ 8, 16 \] \[ 4, 16 \]/);
}, 120_000);

it('the later README examples run and print what their comments say', async () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  // the first block is the one above, run in its own process
  const blocks = readmeExamples(readme).slice(1).map(instrumentPrinted);
  expect(blocks.flatMap((b) => b.expectations).length).toBeGreaterThanOrEqual(3);
  const dir = join(packageDir, '.readme-example');
  mkdirSync(dir, { recursive: true });
  for (const [index, block] of blocks.entries()) {
    await expectPrintedAsDocumented(block, join(dir, `later-${index + 1}.ts`));
  }
}, 120_000);

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCliProcess } from './run-cli-process';

// A stack trace line as Node prints it.
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('arcface CLI: help and errors (child process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([['demo'], ['train'], ['eval'], ['embed'], ['plot', 'margins']])('prints --help for %s', async (...command) => {
    const run = await runCliProcess([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: arcface ${command.join(' ')}`);
    expect(run.stdout).toContain('--config <file.json>');
  });

  it('names a missing data folder and says what to pass, without a stack trace', async () => {
    const missing = join(dir, 'no-such-folder');
    const run = await runCliProcess(['train', '--data', missing, '--out', join(dir, 'run'), '--backend', 'cpu']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`data folder '${missing}' does not exist`);
    expect(run.stderr).toContain('pass --data <folder>');
    expect(run.stderr).not.toMatch(STACK);
  });

  it('prints the stack trace with --verbose', async () => {
    const run = await runCliProcess(['train', '--data', join(dir, 'nothing'), '--out', join(dir, 'run'), '--backend', 'cpu', '--verbose']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(STACK);
  });

  it('names an empty identity folder', async () => {
    const root = join(dir, 'faces-empty');
    await mkdir(join(root, 'alice'), { recursive: true });
    await mkdir(join(root, 'bob'), { recursive: true });
    await writeFile(join(root, 'alice', '1.pgm'), 'P5\n2 2\n255\n\x00\x01\x02\x03');
    const run = await runCliProcess(['train', '--data', root, '--out', join(dir, 'run'), '--backend', 'cpu']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`identity 'bob' in '${root}' has no images`);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('names an unreadable image', async () => {
    const root = join(dir, 'faces-bad');
    for (const id of ['a', 'b', 'c']) await mkdir(join(root, id), { recursive: true });
    await writeFile(join(root, 'a', '1.pgm'), 'P5\n2 2\n255\n\x00\x01\x02\x03');
    await writeFile(join(root, 'b', '1.jpg'), 'this is not a JPEG');
    await writeFile(join(root, 'c', '1.pgm'), 'P5\n2 2\n255\n\x00\x01\x02\x03');
    const run = await runCliProcess(['demo', '--data', root, '--out', join(dir, 'report'), '--backend', 'cpu']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`cannot read image '${join(root, 'b', '1.jpg')}'`);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('lists the known margins for an unknown one', async () => {
    const run = await runCliProcess(['plot', 'margins', '--margins', 'arcfac', '--out', join(dir, 'm.svg')]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("'arcfac' is not registered; known: ");
    // Built-in and @arcface/margins-contrib names alike.
    for (const name of ['additive-angular', 'softmax-normalized', 'adaface', 'uniface']) expect(run.stderr).toContain(name);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('explains a config file that is not JSON, and one with an unknown key', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ "margins": "additive-angular", }');
    const run = await runCliProcess(['plot', 'margins', '--config', bad, '--out', join(dir, 'm.svg')]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`config file '${bad}' is not valid JSON`);
    expect(run.stderr).not.toMatch(STACK);
    const typo = join(dir, 'typo.json');
    await writeFile(typo, JSON.stringify({ margin: 'additive-angular' }));
    const second = await runCliProcess(['plot', 'margins', '--config', typo, '--out', join(dir, 'm.svg')]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain("unknown option 'margin' for 'arcface margins'; known: margins, marginOptions, step, out");
  });

  it('takes options from a config file, with flags winning', async () => {
    const config = join(dir, 'plot.json');
    await writeFile(config, JSON.stringify({ margins: 'additive-angular,additive-cosine', out: join(dir, 'ignored.svg') }));
    const out = join(dir, 'from-config.svg');
    const run = await runCliProcess(['plot', 'margins', '--config', config, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote 2 target-logit curves to ${out}`);
  });
});

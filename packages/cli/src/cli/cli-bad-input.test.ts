import { cp, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyntheticFaces } from '@arcface/data';

import { runCliProcess } from './run-cli-process';

/**
 * What each command does with bad input, as docs/bad-input.md lists it: a training folder with 3
 * corrupt images among 24 synthetic faces, a single-identity folder, a model folder with a
 * truncated weights file or no model.json, an evaluation folder where some identities have a
 * single image. Each case checks the exit code and that the message names the file.
 */
describe('arcface with bad input (child processes)', () => {
  let dir: string;
  const faces = join('faces');
  const corrupt = ['person-1/5.png', 'person-3/13.png', 'person-4/17.png'];
  const train = (data: string, out: string, ...extra: string[]) =>
    runCliProcess(
      ['train', '--data', data, '--backbone', 'mlp', '--backbone-options', '{"hidden": [16]}', '--image-size', '16', '--embedding-size', '8', '--steps', '3', '--batch-size', '6', '--out', out, '--backend', 'cpu', ...extra],
      { timeoutMs: 240_000 },
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-bad-input-'));
    const set = createSyntheticFaces({ identities: 6, imagesPerIdentity: 4, size: 16, seed: 9 });
    for (let i = 0; i < set.length; i += 1) {
      const rel = `person-${set.labels[i]}/${i}.png`;
      await mkdir(join(dir, faces, `person-${set.labels[i]}`), { recursive: true });
      const png = await sharp(Buffer.from(set.image(i)), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
      // Three broken ways: cut short, not an image, empty.
      const bytes = rel === corrupt[0] ? png.subarray(0, png.length - 20) : rel === corrupt[1] ? Buffer.from('garbage bytes') : rel === corrupt[2] ? Buffer.alloc(0) : png;
      await writeFile(join(dir, faces, rel), bytes);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("train --on-bad-image stop (the default) lists all three corrupt images before any step and exits 1", async () => {
    const out = join(dir, 'run-stop');
    const run = await train(join(dir, faces), out);
    expect(run.code).toBe(1);
    for (const rel of corrupt) expect(run.stderr).toContain(join(dir, faces, rel));
    expect(run.stderr).toContain('3 of 24 images cannot be read');
    expect(run.stderr).toContain('--on-bad-image skip');
    expect(run.stderr).not.toContain('trained');
    // No step ran: no checkpoint and no model were written.
    expect(await readdir(out).catch(() => [])).toEqual([]);

    // A policy commander does not know is a usage error (2); a folder arcface train did not write is refused (1).
    const usage = await train(join(dir, faces), out, '--on-bad-image', 'maybe');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--on-bad-image.*maybe/);
    const notModel = await runCliProcess(['eval', '--model', join(dir, faces), '--data', join(dir, faces), '--backend', 'cpu']);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toContain(`'${join(dir, faces)}' is not a model folder (no readable arcface-model.json)`);
  });

  it('train --on-bad-image skip trains on the other 21, reports "3 skipped" and writes the list', async () => {
    const out = join(dir, 'run-skip');
    const run = await train(join(dir, faces), out, '--on-bad-image', 'skip');
    expect(run.stderr).toContain(`3 skipped: unreadable images left out of 24; list written to ${join(out, 'skipped-images.txt')}`);
    expect(run.stderr).toContain('trained 3 steps');
    expect(run.code).toBe(0);
    const list = (await readFile(join(out, 'skipped-images.txt'), 'utf8')).trim().split('\n');
    expect(list.map((line) => line.split('\t')[0])).toEqual(corrupt.map((rel) => join(dir, faces, rel)));

    // The model this run wrote, damaged two ways: eval and embed refuse it, naming the file.
    const image = join(dir, faces, 'person-0/0.png');
    const truncated = join(dir, 'truncated-model');
    await cp(out, truncated, { recursive: true });
    await truncate(join(truncated, 'model', 'weights.bin'), 10);
    const evalRun = await runCliProcess(['eval', '--model', truncated, '--data', join(dir, faces), '--backend', 'cpu']);
    expect(evalRun.code).toBe(1);
    expect(evalRun.stderr).toMatch(new RegExp(`'${join(truncated, 'model', 'weights.bin')}' holds 10 bytes .* the weights are truncated`));
    const embedRun = await runCliProcess(['embed', image, '--model', truncated, '--backend', 'cpu']);
    expect(embedRun.code).toBe(1);
    expect(embedRun.stderr).toContain(`'${join(truncated, 'model', 'weights.bin')}' holds 10 bytes`);

    const noJson = join(dir, 'no-model-json');
    await cp(out, noJson, { recursive: true });
    await rm(join(noJson, 'model', 'model.json'));
    const missing = await runCliProcess(['embed', image, '--model', noJson, '--backend', 'cpu']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`'${join(noJson, 'model', 'model.json')}' is missing`);

    // Evaluation on a folder where two identities have a single image: it names them and the pair counts.
    const evalSet = join(dir, 'eval-set');
    await cp(join(dir, faces), evalSet, { recursive: true });
    for (const rel of corrupt) await rm(join(evalSet, rel));
    for (const name of ['person-0/1.png', 'person-0/2.png', 'person-0/3.png', 'person-2/9.png', 'person-2/10.png', 'person-2/11.png']) await rm(join(evalSet, name));
    const evaluation = await runCliProcess(['eval', '--model', out, '--data', evalSet, '--folds', '2', '--json', '--backend', 'cpu']);
    expect(evaluation.code).toBe(0);
    expect(evaluation.stderr).toContain('2 of 6 identities have a single image and form no same-identity pair: person-0, person-2');
    const json = JSON.parse(evaluation.stdout) as { singleImageIdentities: string[]; pairsAvailable: { same: number; different: number }; pairs: number };
    expect(json.singleImageIdentities).toEqual(['person-0', 'person-2']);
    // Left: person-1 3, person-3 3, person-4 3, person-5 4 images, person-0 and person-2 1 each (15 in all).
    expect(json.pairsAvailable).toEqual({ same: 3 + 3 + 3 + 6, different: (15 * 15 - (9 + 9 + 9 + 16 + 1 + 1)) / 2 });
    expect(evaluation.stderr).toContain(`eval: ${json.pairs} pairs drawn`);
  });

  it('train refuses a single-identity folder before any step and exits 1', async () => {
    const one = join(dir, 'one-person');
    await mkdir(join(one, 'solo'), { recursive: true });
    for (const name of ['person-1/4.png', 'person-1/6.png', 'person-1/7.png']) await cp(join(dir, faces, name), join(one, 'solo', name.split('/')[1] as string));
    const out = join(dir, 'run-one');
    const run = await train(one, out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has 1 identity with images; training needs at least 2');
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});

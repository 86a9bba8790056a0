import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyntheticFaces } from '@arcface/data';

import { runCliProcess } from './run-cli-process';

/** Margins from @arcface/margins-contrib and from `--plugin` modules, as a user runs them. */
describe('arcface margin plugins (child processes)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-plugins-'));
    const faces = createSyntheticFaces({ identities: 4, imagesPerIdentity: 4, size: 16, seed: 3 });
    for (let i = 0; i < faces.length; i += 1) {
      const folder = join(dir, 'faces', `person-${faces.labels[i]}`);
      await mkdir(folder, { recursive: true });
      await sharp(Buffer.from(faces.image(i)), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(folder, `${i}.png`));
    }
    // A plugin that registers nothing itself but shows it was called; and one with no entry point.
    await writeFile(join(dir, 'marker-plugin.mjs'), `import { writeFileSync } from 'node:fs';\nexport function registerMarker() { writeFileSync(${JSON.stringify(join(dir, 'called'))}, 'yes'); }\n`);
    await writeFile(join(dir, 'empty-plugin.mjs'), 'export const value = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains with --margin adaface out of the box', async () => {
    const out = join(dir, 'adaface');
    const run = await runCliProcess(
      ['train', '--data', join(dir, 'faces'), '--margin', 'adaface', '--backbone', 'mlp', '--backbone-options', '{"hidden": [16]}',
        '--image-size', '16', '--embedding-size', '8', '--steps', '2', '--batch-size', '8', '--out', out, '--backend', 'wasm',
        '--plugin', join(dir, 'marker-plugin.mjs')],
      { timeoutMs: 240_000 },
    );
    expect(run.stderr).toContain('trained 2 steps');
    expect(run.code).toBe(0);
    const metadata = JSON.parse(await readFile(join(out, 'arcface-model.json'), 'utf8')) as { margin: { name: string } };
    expect(metadata.margin.name).toBe('adaface');
    // The --plugin module's register* export ran before the command.
    expect(await readFile(join(dir, 'called'), 'utf8')).toBe('yes');
  });

  it('lists built-in and contrib margins for an unknown name, and rejects a plugin without an entry point', async () => {
    const unknown = await runCliProcess(['train', '--data', join(dir, 'faces'), '--margin', 'no-such-margin', '--out', join(dir, 'x'), '--backend', 'cpu']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no-such-margin');
    for (const name of ['additive-angular', 'softmax-normalized', 'adaface', 'curricularface', 'magface']) expect(unknown.stderr).toContain(name);

    const empty = await runCliProcess(['train', '--data', join(dir, 'faces'), '--out', join(dir, 'y'), '--plugin', join(dir, 'empty-plugin.mjs')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty-plugin.mjs');
    expect(empty.stderr).toContain('register');
  });
});

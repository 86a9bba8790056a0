import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyntheticFaces } from '@arcface/data';

import type { GalleryBenchJson } from './command-gallery-bench';
import type { IdentifyJson } from './command-gallery-identify';
import { runCliProcess } from './run-cli-process';

/**
 * `arcface gallery enroll | identify | bench` as a user runs them, on a small folder of PNG faces
 * and a model from `arcface train`, with the gallery in a PGlite folder.
 */
describe('arcface gallery (child processes)', () => {
  let dir: string;
  let model: string;
  const faces = join('faces');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-gallery-'));
    const set = createSyntheticFaces({ identities: 5, imagesPerIdentity: 4, size: 32, seed: 9 });
    for (let i = 0; i < set.length; i += 1) {
      const folder = join(dir, faces, `person-${set.labels[i]}`);
      await mkdir(folder, { recursive: true });
      await sharp(Buffer.from(set.image(i)), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(folder, `img-${i}.png`));
    }
    model = join(dir, 'model');
    const train = await runCliProcess(
      ['train', '--data', join(dir, faces), '--backbone', 'mlp', '--backbone-options', '{"hidden": [32]}', '--image-size', '16', '--embedding-size', '16', '--steps', '3', '--batch-size', '8', '--out', model, '--backend', 'wasm'],
      { timeoutMs: 240_000 },
    );
    expect(train.code, train.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('enrolls the first N images of each identity, then identifies an enrolled image as its own identity', async () => {
    const gallery = join(dir, 'gallery');
    const enroll = await runCliProcess(['gallery', 'enroll', '--model', model, '--gallery', gallery, '--data', join(dir, faces), '--per-identity', '2', '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(enroll.code, enroll.stderr).toBe(0);
    expect(enroll.stdout).toMatch(/enrolled 10 images of 5 identities into .*gallery.*holds 10 images of 5 identities/);

    // Files sort by name: img-0, img-1, img-10, … so person-0's first two are img-0.png and img-1.png
    // when its images are 0–3; an image that was enrolled scores a cosine of 1 with itself.
    const enrolledImage = join(dir, faces, 'person-0', 'img-0.png');
    const notEnrolled = join(dir, faces, 'person-0', 'img-3.png');
    const identify = await runCliProcess(['gallery', 'identify', '--model', model, '--gallery', gallery, '--k', '3', '--json', enrolledImage, notEnrolled, '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(identify.code, identify.stderr).toBe(0);
    const result = JSON.parse(identify.stdout) as IdentifyJson[];
    expect(result.map((r) => r.file)).toEqual([enrolledImage, notEnrolled]);
    expect(result[0]!.matches).toHaveLength(3);
    expect(result[0]!.matches[0]).toMatchObject({ identity: 'person-0' });
    expect(result[0]!.matches[0]!.score).toBeCloseTo(1, 5);
    for (const r of result) for (let i = 1; i < r.matches.length; i++) expect(r.matches[i]!.score).toBeLessThanOrEqual(r.matches[i - 1]!.score);

    const exact = await runCliProcess(['gallery', 'identify', '--model', model, '--gallery', gallery, '--k', '3', '--exact', '--json', enrolledImage, notEnrolled, '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(exact.code, exact.stderr).toBe(0);
    // Five identities: the index and the exact scan must agree.
    expect(JSON.parse(exact.stdout)).toEqual(result);

    // Another model's embeddings are refused, with the reason.
    const meta = JSON.parse(await readFile(join(model, 'arcface-model.json'), 'utf8')) as Record<string, unknown>;
    const other = join(dir, 'other-model');
    await mkdir(join(other, 'model'), { recursive: true });
    for (const f of ['model.json', 'weights.bin']) {
      const from = join(model, 'model', f);
      if (await stat(from).catch(() => undefined)) await writeFile(join(other, 'model', f), await readFile(from));
    }
    await writeFile(join(other, 'arcface-model.json'), JSON.stringify({ ...meta, steps: 999 }));
    const refused = await runCliProcess(['gallery', 'identify', '--model', other, '--gallery', gallery, '--json', enrolledImage, '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/arcface: error: gallery 'arcface_gallery' .* holds embeddings of model sha256:[0-9a-f]{64}/);
  }, 600_000);

  it('an unreachable server fails with the password hidden', async () => {
    const run = await runCliProcess(
      ['gallery', 'enroll', '--model', model, '--gallery', 'postgres://arcface:hunter2@localhost:1/faces?host=/nonexistent-arcface', '--data', join(dir, faces), '--backend', 'wasm'],
      { timeoutMs: 240_000 },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('postgres://arcface:***@localhost:1/faces');
    expect(run.stderr).not.toContain('hunter2');
  }, 300_000);

  it('bench reports rank-1, the CMC curve, TAR@FAR, recall and speeds, with a CMC plot', async () => {
    const out = join(dir, 'bench');
    const run = await runCliProcess(
      ['gallery', 'bench', '--model', model, '--data', join(dir, faces), '--distractors', '300', '--max-rank', '5', '--out', out, '--backend', 'wasm'],
      { timeoutMs: 240_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, 'gallery-bench.json'), 'utf8')) as GalleryBenchJson;
    expect(json.counts).toEqual({ identities: 5, enrolled: 5, probes: 15, distractors: 300, embeddings: 305 });
    expect(json.distractorSource).toMatch(/synthetic faces/);
    expect(json.cmc.exact).toHaveLength(5);
    expect(json.rank1.exact).toBe(json.cmc.exact[0]);
    expect(json.recall.top1).toBeGreaterThanOrEqual(0.9);
    expect(json.timings.indexQueriesPerSecond).toBeGreaterThan(0);
    const svg = await readFile(join(out, 'cmc.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('exact search');
    expect(await readFile(join(out, 'gallery-bench.md'), 'utf8')).toMatch(/\| HNSW index \| \d+\.\d\d% \|/);
  }, 300_000);
});

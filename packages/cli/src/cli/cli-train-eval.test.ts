import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyntheticFaces } from '@arcface/data';
import { goldenPath, readGolden } from '@arcface/testing';

import { runCliProcess } from './run-cli-process';

/**
 * The train → eval → embed path as a user runs it: a folder of PNG faces on disk, `arcface
 * train` writes a model, `arcface eval --bin` verifies the golden `.bin` with it, `arcface
 * embed` writes a `.npy`.
 */
describe('arcface train, eval --bin and embed (child processes)', () => {
  let dir: string;
  const identities = 6;
  const perIdentity = 4;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-train-'));
    const faces = createSyntheticFaces({ identities, imagesPerIdentity: perIdentity, size: 32, seed: 5 });
    for (let i = 0; i < faces.length; i += 1) {
      const folder = join(dir, 'faces', `person-${faces.labels[i]}`);
      await mkdir(folder, { recursive: true });
      await sharp(Buffer.from(faces.image(i)), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(folder, `${i}.png`));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains a model that tells the faces apart, then eval --bin reads the golden .bin with it', async () => {
    const model = join(dir, 'run');
    const train = await runCliProcess(
      ['train', '--data', join(dir, 'faces'), '--margin', 'additive-angular', '--margin-options', '{"m": 0.5, "s": 16}', '--backbone', 'mlp',
        '--backbone-options', '{"hidden": [32]}', '--image-size', '16', '--embedding-size', '16', '--steps', '40', '--batch-size', '8', '--out', model, '--backend', 'wasm',
        '--augment', '{"flip": 0.5, "brightness": 0.1}'],
      { timeoutMs: 240_000 },
    );
    expect(train.stderr).toContain('trained 40 steps');
    expect(train.code).toBe(0);
    // The loss starts near 10.3 (6 classes, s = 16, m = 0.5) and ends near 3.2. A zeroed gradient
    // leaves it at 10.3, a negated one drives it up (27.7).
    const lastLoss = Number(/last loss ([\d.]+)/.exec(train.stderr)?.[1]);
    expect(lastLoss).toBeLessThan(6);

    // Verification on balanced pairs of the training faces: chance is 0.5; 40 steps give 0.98,
    // 4 steps 0.53, and a zeroed gradient 0.6.
    const learned = await runCliProcess(['eval', '--model', model, '--data', join(dir, 'faces'), '--json', '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(learned.code, learned.stderr).toBe(0);
    const onFaces = JSON.parse(learned.stdout) as { pairs: number; accuracy: { mean: number } };
    expect(onFaces.pairs).toBeGreaterThanOrEqual(60);
    expect(onFaces.accuracy.mean).toBeGreaterThanOrEqual(0.85);
    const metadata = JSON.parse(await readFile(join(model, 'arcface-model.json'), 'utf8')) as { margin: { name: string; options: { m: number } }; classes: number; steps: number; augment: unknown };
    expect(metadata.margin).toMatchObject({ name: 'additive-angular', options: { m: 0.5 } });
    expect(metadata.augment).toEqual({ flip: 0.5, brightness: 0.1 });
    expect(metadata.classes).toBe(identities);
    expect(metadata.steps).toBe(40);

    // A second train into the same folder refuses to overwrite the checkpoints without --resume.
    const again = await runCliProcess(['train', '--data', join(dir, 'faces'), '--backbone', 'mlp', '--image-size', '16', '--steps', '4', '--batch-size', '8', '--out', model, '--backend', 'cpu']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('pass --resume');

    const expected = readGolden<{ N: number; issame: boolean[] }>('bin/expected.json');
    const evaluation = await runCliProcess(['eval', '--model', model, '--bin', goldenPath('bin', 'verify_py2.bin'), '--json', '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(evaluation.stderr).toBe('');
    expect(evaluation.code).toBe(0);
    const result = JSON.parse(evaluation.stdout) as {
      pairs: number;
      samePairs: number;
      accuracy: { mean: number; std: number };
      folds: Array<{ threshold: number; accuracy: number }>;
      auc: number;
      thresholds: number[];
    };
    expect(result.pairs).toBe(expected.N);
    expect(result.samePairs).toBe(expected.issame.filter(Boolean).length);
    expect(result.folds).toHaveLength(10);
    expect(result.thresholds).toHaveLength(400);
    // The protocol's mean and std are those of the fold accuracies it reports.
    const accs = result.folds.map((f) => f.accuracy);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    expect(result.accuracy.mean).toBeCloseTo(mean, 12);
    // The .bin holds seeded noise images with random labels: no model can beat chance on it, so
    // only the protocol's shape is checked here (learning is checked on the faces above).
    expect(result.auc).toBeGreaterThan(0);
    expect(result.auc).toBeLessThanOrEqual(1);

    const table = await runCliProcess(['eval', '--model', model, '--bin', goldenPath('bin', 'verify_py3.bin'), '--backend', 'wasm'], { timeoutMs: 240_000 });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\| set \| pairs \| accuracy \(10-fold\) \| TAR@FAR=0\.001 \| ROC AUC \|/);
    expect(table.stdout).toContain(`${expected.N} (${result.samePairs} same)`);

    const npy = join(dir, 'emb.npy');
    const files = [join(dir, 'faces', 'person-0', '0.png'), join(dir, 'faces', 'person-1', '4.png')];
    const embed = await runCliProcess(['embed', '--model', model, ...files, '--out', npy, '--backend', 'wasm']);
    expect(embed.code).toBe(0);
    const bytes = await readFile(npy);
    const headerLength = bytes.readUInt16LE(8);
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect(bytes.subarray(10, 10 + headerLength).toString('latin1')).toContain("'shape': (2, 16)");
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
    expect(values).toHaveLength(32);
    for (const row of [values.subarray(0, 16), values.subarray(16)]) expect(Math.hypot(...row)).toBeCloseTo(1, 5);

    const bad = join(dir, 'broken.jpg');
    await writeFile(bad, 'not an image');
    const unreadable = await runCliProcess(['embed', '--model', model, bad, '--backend', 'cpu']);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain(`cannot read image '${bad}'`);
  }, 900_000);
});

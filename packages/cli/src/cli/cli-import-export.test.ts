import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyntheticFaces } from '@arcface/data';
import { REPO_ROOT, cosine, goldenPath } from '@arcface/testing';

import { runCliProcess } from './run-cli-process';

// Narrow arcface_torch-shaped networks and PyTorch's embeddings of three images, written by
// packages/backbones/scripts/make_interop_fixtures.py.
const FIXTURES = join(REPO_ROOT, 'packages', 'backbones', 'test', 'fixtures', 'interop');
const SIDE = 112;


describe('arcface import, embed, export and train --init (child processes)', () => {
  let dir: string;
  let pngs: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'arcface-interop-'));
    const images = new Uint8Array(await readFile(join(FIXTURES, 'images.u8')));
    const n = images.length / (SIDE * SIDE * 3);
    pngs = [];
    for (let i = 0; i < n; i += 1) {
      const file = join(dir, `image-${i}.png`);
      await sharp(Buffer.from(images.subarray(i * SIDE * SIDE * 3, (i + 1) * SIDE * SIDE * 3)), { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toFile(file);
      pngs.push(file);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [file, reference, preprocessing] of [
    ['iresnet18-narrow.pth', 'iresnet18-narrow', '(x − 127.5) / 127.5'],
    ['iresnet18-narrow-raw-op11.onnx', 'iresnet18-narrow-raw', '(x − 127.5) / 128'],
    ['mobilefacenet-narrow-op17.onnx', 'mobilefacenet-narrow', '(x − 127.5) / 127.5'],
  ] as const) {
    it(`import ${file} prints what it found; embed gives PyTorch's embeddings`, async () => {
      const folder = join(dir, `imported-${file}`);
      const imported = await runCliProcess(['import', join(FIXTURES, file), '--out', folder]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      const info = JSON.parse(await readFile(join(FIXTURES, `${reference.replace(/-raw$/, '')}.json`), 'utf8')) as { backbone: string; parameters: number; embeddingSize: number };
      expect(imported.stdout).toContain(`architecture:   ${info.backbone}`);
      expect(imported.stdout).toContain(`parameters:     ${info.parameters.toLocaleString('en')}`);
      expect(imported.stdout).toContain(preprocessing);
      expect(imported.stdout).toContain('input size:     112×112×3');
      expect(imported.stdout).toContain(`embedding size: ${info.embeddingSize}`);

      const embedded = await runCliProcess(['embed', '--model', folder, ...pngs, '--backend', 'wasm']);
      expect(embedded.code).toBe(0);
      const ours = JSON.parse(embedded.stdout) as Array<{ embedding: number[] }>;
      const raw = await readFile(join(FIXTURES, `${reference}.emb.f32`));
      const theirs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      ours.forEach((o, i) => {
        expect(cosine(o.embedding, theirs.subarray(i * info.embeddingSize, (i + 1) * info.embeddingSize))).toBeGreaterThanOrEqual(0.99999);
      });

      // export → import gives the same architecture and preprocessing back.
      const onnx = join(dir, `${file}.onnx`);
      const exported = await runCliProcess(['export', '--model', folder, '--out', onnx]);
      expect(exported.code).toBe(0);
      expect(exported.stdout).toContain(`wrote ${onnx}`);
      const again = await runCliProcess(['import', onnx, '--out', join(dir, `again-${file}`)]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`architecture:   ${info.backbone}`);
      expect(again.stdout).toContain(preprocessing);
    }, 240_000);
  }

  it('train --init fine-tunes an imported model on new identities, and eval --bin scores it', async () => {
    const folder = join(dir, 'mbf');
    expect((await runCliProcess(['import', join(FIXTURES, 'mobilefacenet-narrow.pth'), '--out', folder])).code).toBe(0);
    const faces = createSyntheticFaces({ identities: 4, imagesPerIdentity: 3, size: 32, seed: 3 });
    for (let i = 0; i < faces.length; i += 1) {
      const person = join(dir, 'faces', `person-${faces.labels[i]}`);
      await mkdir(person, { recursive: true });
      await sharp(Buffer.from(faces.image(i)), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(person, `${i}.png`));
    }
    const run = join(dir, 'fine-tuned');
    const train = await runCliProcess(
      // wasm with its native training kernels: MobileFaceNet's 1×1 layers at 7×7 and batch 4 have
      // fewer pixels than one reduction block, the case whose scratch overrun once hung this step.
      ['train', '--init', folder, '--data', join(dir, 'faces'), '--steps', '2', '--batch-size', '4', '--lr', '0.01', '--out', run, '--backend', 'wasm'],
      { timeoutMs: 900_000 },
    );
    expect(train.stderr).toContain('trained 2 steps');
    expect(train.code).toBe(0);
    const metadata = JSON.parse(await readFile(join(run, 'arcface-model.json'), 'utf8')) as {
      backbone: { name: string };
      inputShape: number[];
      classes: number;
      initialisedFrom: string;
      source: { format: string };
    };
    expect(metadata.backbone.name).toBe('mobilefacenet');
    expect(metadata.inputShape).toEqual([112, 112, 3]);
    expect(metadata.classes).toBe(4);
    expect(metadata.initialisedFrom).toBe(folder);
    expect(metadata.source.format).toBe('pth');
    const evaluation = await runCliProcess(['eval', '--model', run, '--bin', goldenPath('bin', 'verify_py2.bin'), '--json', '--backend', 'wasm'], { timeoutMs: 480_000 });
    expect(evaluation.code).toBe(0);
    const result = JSON.parse(evaluation.stdout) as { accuracy: { mean: number } };
    expect(result.accuracy.mean).toBeGreaterThanOrEqual(0);
  }, 1_500_000);

  it('each bad input exits non-zero with a message that names it', async () => {
    const good = await readFile(join(FIXTURES, 'iresnet18-narrow.pth'));
    const cut = join(dir, 'cut.pth');
    await writeFile(cut, good.subarray(0, good.length >> 1));
    const cases: Array<[string[], RegExp]> = [
      [['import', cut, '--out', join(dir, 'x1')], /cut\.pth: .*truncated/],
      [['import', join(FIXTURES, 'iresnet18-narrow.pth'), '--out', join(dir, 'x2'), '--backbone', 'iresnet50'], /\[3, 4, 14, 3\]/],
      [['import', join(FIXTURES, 'relu-op11.onnx'), '--out', join(dir, 'x3')], /\(Relu\)/],
      [['import', join(FIXTURES, 'runs-code.pth'), '--out', join(dir, 'x4')], /would import or call code/],
      [['import', join(dir, 'missing.onnx'), '--out', join(dir, 'x5')], /cannot read the file/],
      [['export', '--model', join(dir, 'no-such-folder'), '--out', join(dir, 'x.onnx')], /not a model folder/],
      [['export', '--model', dir, '--out', join(dir, 'x.txt')], /must end in \.onnx/],
      [['train', '--init', join(dir, 'no-such-folder'), '--data', dir, '--out', join(dir, 'x6')], /not a model folder/],
    ];
    for (const [args, message] of cases) {
      const run = await runCliProcess(args);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  }, 300_000);
});

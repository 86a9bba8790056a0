import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '@arcface/testing';
import { importModel } from '../src/interop/import-model';
import { exportOnnx } from '../src/interop/onnx-export';
import { cosines, embed, nchw, readEmbeddings, readImages } from './interop-helpers';

// Full-size iResNet-18/50 and MobileFaceNet, made by PyTorch at test time (about 1 GB, minutes):
// scripts/make_interop_fixtures.py --set full into ARCFACE_INTEROP_DIR or .interop-full/
// (git-ignored). Needs a python3 with torch and onnx (Debian: python3-torch, python3-onnx).
const DIR = process.env.ARCFACE_INTEROP_DIR ?? join(__dirname, '..', '.interop-full');
const SCRIPT = join(__dirname, '..', 'scripts', 'make_interop_fixtures.py');
const MODELS = ['iresnet18', 'iresnet50', 'mobilefacenet'] as const;
const FORMATS = ['.pth', '-legacy.pth', '-op11.onnx', '-op17.onnx'] as const;
const MIN_COSINE = 0.99999;

function findPython(): string | undefined {
  for (const candidate of [process.env.ARCFACE_PYTHON, 'python3', '/usr/bin/python3']) {
    if (candidate === undefined) continue;
    const probe = spawnSync(candidate, ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const complete = () => MODELS.every((m) => FORMATS.every((f) => existsSync(join(DIR, `${m}${f}`))) && existsSync(join(DIR, `${m}.emb.f32`)));
const python = complete() ? 'present' : findPython();
const reason = python === undefined ? ' (skipped: no python3 with torch and onnx to make the files, and ARCFACE_INTEROP_DIR has none)' : '';
if (python === undefined) console.warn(`full-size interop tests skip${reason}`);

describe.skipIf(python === undefined)(`full-size insightface models against PyTorch${reason}`, () => {
  beforeAll(() => {
    if (complete()) return;
    const made = spawnSync(python!, [SCRIPT, '--out', DIR, '--set', 'full'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    if (made.status !== 0) throw new Error(`${SCRIPT} failed (status ${made.status}); run it by hand to see why`);
  }, 20 * 60_000);

  for (const backend of TEST_BACKENDS) {
    for (const model of MODELS) {
      for (const format of FORMATS) {
        it(`[${backend}] ${model}${format}: cosine ≥ ${MIN_COSINE} per image`, async () => {
          await useBackend(backend);
          const file = join(DIR, `${model}${format}`);
          const imported = importModel(new Uint8Array(readFileSync(file)), { file });
          try {
            const info = JSON.parse(readFileSync(join(DIR, `${model}.json`), 'utf8')) as { parameters: number };
            expect(imported.backbone).toBe(model);
            expect(imported.parameters).toBe(info.parameters);
            const cos = cosines(embed(imported.model, readImages(DIR)), readEmbeddings(DIR, model, 512));
            console.log(`[${backend}] ${model}${format}: 1 − cosine ${cos.map((v) => (1 - v).toExponential(1)).join(', ')}`);
            for (const v of cos) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
          } finally {
            imported.model.dispose();
          }
          // The pure-JS cpu backend needs minutes for iResNet-50 on a busy 2-core machine.
        }, 1_800_000);
      }
    }
  }

  for (const model of ['iresnet50', 'mobilefacenet'] as const) {
    it(`${model}: our ONNX export in onnxruntime-node equals PyTorch (cosine ≥ ${MIN_COSINE})`, async () => {
      await useBackend('cpu');
      const imported = importModel(new Uint8Array(readFileSync(join(DIR, `${model}.pth`))), { file: `${model}.pth` });
      try {
        const session = await ort.InferenceSession.create(await exportOnnx(imported.model));
        const images = readImages(DIR);
        const n = images.length / (112 * 112 * 3);
        const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', nchw(images, true), [n, 3, 112, 112]) });
        await session.release();
        const data = result[session.outputNames[0]!]!.data as Float32Array;
        const fromOrt = Array.from({ length: n }, (_, i) => data.slice(i * 512, (i + 1) * 512));
        const cos = cosines(fromOrt, readEmbeddings(DIR, model, 512));
        console.log(`${model} export → onnxruntime: 1 − cosine ${cos.map((v) => (1 - v).toExponential(1)).join(', ')}`);
        for (const v of cos) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
      } finally {
        imported.model.dispose();
      }
    }, 600_000);
  }
});

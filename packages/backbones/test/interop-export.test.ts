import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@arcface/testing';
import { iresnet } from '../src/iresnet';
import { mobileFaceNet } from '../src/mobilefacenet';
import { importModel } from '../src/interop/import-model';
import { exportOnnx } from '../src/interop/onnx-export';
import { decodeOnnx } from '../src/interop/onnx-model';
import { SMALL_FIXTURES, cosines, embed, nchw, readEmbeddings, readImages } from './interop-helpers';

const MIN_COSINE = 0.99999;

/** Runs an ONNX file in onnxruntime-node (CPU) on the fixture images. */
async function runOrt(bytes: Uint8Array, images: Uint8Array, raw: boolean): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const n = images.length / (112 * 112 * 3);
    const input = new ort.Tensor('float32', nchw(images, !raw), [n, 3, 112, 112]);
    const result = await session.run({ [session.inputNames[0]!]: input });
    const out = result[session.outputNames[0]!]!;
    const d = out.dims[1] as number;
    const data = out.data as Float32Array;
    return Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
  } finally {
    await session.release();
  }
}

describe('exported ONNX runs in onnxruntime with the same embeddings', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const images = () => readImages(SMALL_FIXTURES);

  for (const [file, reference, raw] of [
    ['iresnet18-narrow.pth', 'iresnet18-narrow', false],
    ['mobilefacenet-narrow.pth', 'mobilefacenet-narrow', false],
    ['iresnet18-narrow-raw-op11.onnx', 'iresnet18-narrow-raw', true],
  ] as const) {
    it(`${file} → export → onnxruntime equals PyTorch and our model (cosine ≥ ${MIN_COSINE})`, async () => {
      const imported = importModel(new Uint8Array(readFileSync(join(SMALL_FIXTURES, file))), { file });
      try {
        const bytes = await exportOnnx(imported.model);
        const fromOrt = await runOrt(bytes, images(), raw);
        const torch = readEmbeddings(SMALL_FIXTURES, reference, imported.embeddingSize);
        const ours = embed(imported.model, images());
        const vsTorch = cosines(fromOrt, torch);
        const vsOurs = cosines(fromOrt, ours);
        console.log(`${file}: onnxruntime vs PyTorch 1 − cosine ${vsTorch.map((v) => (1 - v).toExponential(1)).join(', ')}`);
        for (const v of [...vsTorch, ...vsOurs]) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
        if (raw) {
          // insightface's ArcFaceONNX treats a model as taking raw pixels when a node among the
          // first eight is named Sub… and one Mul…; check the file says so the same way.
          const names = decodeOnnx(bytes, 'exported.onnx').nodes.slice(0, 8).map((n) => n.name);
          expect(names.some((n) => n.startsWith('Sub'))).toBe(true);
          expect(names.some((n) => n.startsWith('Mul'))).toBe(true);
        }
        // Re-importing the export gives the model back.
        const again = importModel(bytes, { file: 'exported.onnx' });
        try {
          expect(again.backbone).toBe(imported.backbone);
          expect(again.preprocessing.std).toBeCloseTo(imported.preprocessing.std, 6);
          for (const v of cosines(embed(again.model, images()), ours)) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
        } finally {
          again.model.dispose();
        }
      } finally {
        imported.model.dispose();
      }
    });
  }

  it('our own freshly built iResNet-18 and MobileFaceNet (narrow, random weights) export exactly', async () => {
    for (const model of [iresnet(18, { width: 0.0625, embeddingSize: 32 }), mobileFaceNet({ width: 0.125, embeddingSize: 32 })]) {
      try {
        const fromOrt = await runOrt(await exportOnnx(model), images(), false);
        const ours = embed(model, images());
        for (const v of cosines(fromOrt, ours)) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
      } finally {
        model.dispose();
      }
    }
  });
});

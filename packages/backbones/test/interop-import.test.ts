import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '@arcface/testing';
import { importModel } from '../src/interop/import-model';
import { inputPreprocessing } from '../src/interop/preprocessing';
import { SMALL_FIXTURES, cosines, embed, readEmbeddings, readImages } from './interop-helpers';

// Reference embeddings written by PyTorch 1.13 (scripts/make_interop_fixtures.py --set small)
// for narrow arcface_torch-shaped networks with random weights and measured BN statistics.
const MIN_COSINE = 0.99999;

const CASES = [
  { file: 'iresnet18-narrow.pth', reference: 'iresnet18-narrow', backbone: 'iresnet18', format: 'pth' },
  { file: 'iresnet18-narrow-legacy.pth', reference: 'iresnet18-narrow', backbone: 'iresnet18', format: 'pth' },
  { file: 'iresnet18-narrow-fp16-ddp.pth', reference: 'iresnet18-narrow-fp16', backbone: 'iresnet18', format: 'pth' },
  { file: 'iresnet18-narrow-op11.onnx', reference: 'iresnet18-narrow', backbone: 'iresnet18', format: 'onnx' },
  { file: 'iresnet18-narrow-op17.onnx', reference: 'iresnet18-narrow', backbone: 'iresnet18', format: 'onnx' },
  { file: 'iresnet18-narrow-raw-op11.onnx', reference: 'iresnet18-narrow-raw', backbone: 'iresnet18', format: 'onnx' },
  { file: 'mobilefacenet-narrow.pth', reference: 'mobilefacenet-narrow', backbone: 'mobilefacenet', format: 'pth' },
  { file: 'mobilefacenet-narrow-legacy.pth', reference: 'mobilefacenet-narrow', backbone: 'mobilefacenet', format: 'pth' },
  { file: 'mobilefacenet-narrow-op11.onnx', reference: 'mobilefacenet-narrow', backbone: 'mobilefacenet', format: 'onnx' },
  { file: 'mobilefacenet-narrow-op17.onnx', reference: 'mobilefacenet-narrow', backbone: 'mobilefacenet', format: 'onnx' },
  { file: 'mobilefacenet-narrow-op9-nofold.onnx', reference: 'mobilefacenet-narrow', backbone: 'mobilefacenet', format: 'onnx' },
] as const;

const info = (name: string) => JSON.parse(readFileSync(join(SMALL_FIXTURES, `${name}.json`), 'utf8')) as { parameters: number; embeddingSize: number; width: number };

describeEachBackend('insightface models import with PyTorch’s embeddings', (backend) => {
  for (const c of CASES) {
    it(`${c.file}: cosine ≥ ${MIN_COSINE} per image against PyTorch`, () => {
      const imported = importModel(new Uint8Array(readFileSync(join(SMALL_FIXTURES, c.file))), { file: c.file });
      try {
        const expected = info(c.reference.replace(/-(fp16|raw)$/, ''));
        expect(imported.backbone).toBe(c.backbone);
        expect(imported.format).toBe(c.format);
        expect(imported.parameters).toBe(expected.parameters);
        expect(imported.embeddingSize).toBe(expected.embeddingSize);
        expect(imported.backboneOptions['width']).toBeCloseTo(expected.width, 12);
        expect(imported.inputShape).toEqual([112, 112, 3]);
        const ours = embed(imported.model, readImages(SMALL_FIXTURES));
        const theirs = readEmbeddings(SMALL_FIXTURES, c.reference, imported.embeddingSize);
        const cos = cosines(ours, theirs);
        console.log(`[${backend}] ${c.file}: cosines ${cos.map((v) => v.toFixed(9)).join(', ')}`);
        for (const v of cos) expect(v).toBeGreaterThanOrEqual(MIN_COSINE);
      } finally {
        imported.model.dispose();
      }
    });
  }
});

describe('preprocessing travels with the model', () => {
  it('Sub/Mul input nodes become (x − 127.5)/128 inside the model; plain exports keep arcface_torch’s', () => {
    const raw = importModel(new Uint8Array(readFileSync(join(SMALL_FIXTURES, 'iresnet18-narrow-raw-op11.onnx'))), { file: 'raw.onnx' });
    const plain = importModel(new Uint8Array(readFileSync(join(SMALL_FIXTURES, 'iresnet18-narrow-op11.onnx'))), { file: 'plain.onnx' });
    try {
      expect(raw.preprocessing.mean).toBeCloseTo(127.5, 6);
      expect(raw.preprocessing.std).toBeCloseTo(128, 6);
      expect(inputPreprocessing(raw.model).std).toBeCloseTo(128, 6);
      expect(raw.model.getLayer('input_preprocessing').getClassName()).toBe('Rescaling');
      expect(plain.preprocessing).toEqual({ mean: 127.5, std: 127.5 });
      expect(plain.model.layers.some((l) => l.name === 'input_preprocessing')).toBe(false);
      // The same network: only the normalisation differs (127.5 vs 128), so embeddings differ a little.
      const a = embed(raw.model, readImages(SMALL_FIXTURES));
      const b = embed(plain.model, readImages(SMALL_FIXTURES));
      for (const v of cosines(a, b)) expect(v).toBeLessThan(0.999999);
    } finally {
      raw.model.dispose();
      plain.model.dispose();
    }
  });
});

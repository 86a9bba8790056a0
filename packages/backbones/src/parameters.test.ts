import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@arcface/testing';
import { iresnet, type IResNetDepth } from './iresnet';
import { mobileFaceNet } from './mobilefacenet';
import { countParameters } from './parameters';
import { loadBackbone, saveBackbone } from './io/save-load';

// `sum(p.numel() for p in model.parameters())` of arcface_torch's `iresnet18/34/50/100/200()`,
// `get_mbf(False, 512)` and `get_mbf_large(False, 512)` at 112×112, printed by PyTorch 1.13
// (packages/backbones/scripts/make_interop_fixtures.py builds the same modules). PyTorch counts
// iResNet's fixed `features.weight` (512 γ with requires_grad=False) as a parameter; here that γ
// is a non-trainable weight, so iResNet's trainable count is PyTorch's minus 512.
const PYTORCH_IRESNET: Record<IResNetDepth, number> = {
  18: 24_025_600,
  34: 34_139_328,
  50: 43_590_848,
  100: 65_156_160,
  200: 118_833_920,
};
const PYTORCH_MBF = 2_059_520;
const PYTORCH_MBF_LARGE = 6_314_880;
const FIXED_GAMMA = 512;

describe('parameter counts at 112×112 equal PyTorch’s for arcface_torch’s models', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const depth of [18, 34, 50, 100, 200] as const) {
    it(`iResNet-${depth}: trainable + the 512 fixed γ of the last BN = ${PYTORCH_IRESNET[depth].toLocaleString('en')}`, () => {
      const model = iresnet(depth);
      const { trainable, nonTrainable } = countParameters(model);
      model.dispose();
      expect(trainable + FIXED_GAMMA).toBe(PYTORCH_IRESNET[depth]);
      // Non-trainable: the fixed γ plus every BN's moving mean and variance (PyTorch buffers).
      expect(nonTrainable).toBeGreaterThan(FIXED_GAMMA);
    }, 120_000);
  }

  it('MobileFaceNet (get_mbf): exactly PyTorch’s count, the 64-group conv included', () => {
    const model = mobileFaceNet();
    const { trainable } = countParameters(model);
    model.dispose();
    expect(trainable).toBe(PYTORCH_MBF);
  });

  it('MobileFaceNet large (get_mbf_large: blocks 2,8,12,4, scale 4): exactly PyTorch’s count', () => {
    const model = mobileFaceNet({ blocks: [2, 8, 12, 4], scale: 4 });
    const { trainable } = countParameters(model);
    model.dispose();
    expect(trainable).toBe(PYTORCH_MBF_LARGE);
  });

  it('MobileFaceNet keeps every parameter trainable after save and load (only iResNet fixes its last γ)', async () => {
    const model = mobileFaceNet({ width: 0.125, embeddingSize: 16 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveBackbone(model, tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await loadBackbone(tf.io.fromMemory(artifacts!));
    expect(countParameters(loaded).trainable).toBe(countParameters(model).trainable);
    model.dispose();
    loaded.dispose();
  });
});

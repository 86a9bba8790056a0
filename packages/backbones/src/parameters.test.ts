import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@arcface/testing';
import { iresnet } from './iresnet';
import { mobileFaceNet } from './mobilefacenet';
import { countParameters } from './parameters';

// Reference counts: `sum(p.numel() for p in model.parameters())` of insightface's arcface_torch
// `iresnet50()` and `get_mbf(False, 512)` at 112×112, computed layer by layer from their
// definitions (conv, BN γ/β, PReLU, FC). OpenVINO's model zoo publishes 34.129M for the MXNet
// LResNet34E-IR (our iResNet-34: 34,139,328) and 65.132M for LResNet100E-IR (65,156,160).
const INSIGHTFACE_IRESNET50 = 43_590_848;
const INSIGHTFACE_MBF = 2_059_520;

describe('parameter counts at 112×112 against insightface', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('iResNet-50: trainable + the 512 fixed γ of the last BN equals insightface exactly', () => {
    const model = iresnet(50);
    const { trainable, nonTrainable } = countParameters(model);
    model.dispose();
    expect(trainable + 512).toBe(INSIGHTFACE_IRESNET50);
    expect(Math.abs(trainable - INSIGHTFACE_IRESNET50) / INSIGHTFACE_IRESNET50).toBeLessThan(0.01);
    // BN moving mean + variance: PyTorch buffers, not parameters.
    expect(nonTrainable).toBeGreaterThan(0);
  });

  it('MobileFaceNet: within 0.1% (depthwise instead of a 64-group conv: 1,152 weights fewer)', () => {
    const model = mobileFaceNet();
    const { trainable } = countParameters(model);
    model.dispose();
    expect(trainable + 1152).toBe(INSIGHTFACE_MBF);
    expect(Math.abs(trainable - INSIGHTFACE_MBF) / INSIGHTFACE_MBF).toBeLessThan(0.001);
  });

  it('iResNet-18/34/100 follow the same stage layout', () => {
    // Each IBasicBlock adds 2·(3·3·c²) conv weights + 7c BN/PReLU weights (c = the stage's
    // channels, here counted for the non-first blocks of stage 4).
    const r18 = countParameters(iresnet(18, { inputShape: [16, 16, 3], embeddingSize: 8 })).trainable;
    const r34 = countParameters(iresnet(34, { inputShape: [16, 16, 3], embeddingSize: 8 })).trainable;
    // r34 − r18 = one extra block at 64, two at 128, four at 256, one at 512.
    const block = (c: number) => 2 * 9 * c * c + 2 * c + 2 * c + c + 2 * c;
    expect(r34 - r18).toBe(block(64) + 2 * block(128) + 4 * block(256) + block(512));
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});

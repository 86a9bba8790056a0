import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { mobileFaceNet, tinyCnn } from '@arcface/backbones';
import { UncompilableModelError } from '@arcface/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { lowerBackbone } from './lower-model';

await tf.setBackend('cpu');

describe('lowerBackbone', () => {
  const models: tfl.LayersModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  it("lowers MobileFaceNet: its grouped stem to one grouped convolution, paddings into the convolutions, every weight once", () => {
    const model = mobileFaceNet({ inputShape: [32, 32, 3], embeddingSize: 64 });
    models.push(model);
    const lowered = lowerBackbone(model, 4);
    const convs = lowered.ops.filter((op) => op.kind === 'conv');
    // The stem's grouped convolution (64 groups of 2 channels) is one op, not depthwise + split + crop + add + merge.
    expect(convs.filter((op) => op.kind === 'conv' && op.groups > 1 && op.groups < lowered.tensors[op.x]![3]!)).toHaveLength(1);
    expect(lowered.ops.filter((op) => op.kind === 'add')).toHaveLength(12);
    // Stride-2 convolutions read their unpadded input with the padding as an attribute.
    expect(convs.some((op) => op.kind === 'conv' && op.stride[0] === 2 && op.padding[0] === 1)).toBe(true);
    const weights = model.weights.length;
    expect(lowered.params).toHaveLength(weights);
    expect(new Set(lowered.params.map((p) => p.variable)).size).toBe(weights);
    expect(lowered.tensors[lowered.embeddings]).toEqual([4, 64]);
  });

  it('refuses a layer it has no kernel for, naming it, and dropout above 0', () => {
    const input = tfl.input({ shape: [8] });
    const hidden = tfl.layers.dense({ units: 4, name: 'fc' }).apply(input) as tfl.SymbolicTensor;
    const relu = tfl.layers.activation({ activation: 'relu', name: 'act' }).apply(hidden) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: relu });
    models.push(model);
    expect(() => lowerBackbone(model, 2)).toThrow(UncompilableModelError);
    expect(() => lowerBackbone(model, 2)).toThrow(/layer 'act' \(Activation\): no compiled kernel/);
    const dropped = tinyCnn({ inputShape: [16, 16, 3], embeddingSize: 8, dropout: 0.2 });
    models.push(dropped);
    expect(() => lowerBackbone(dropped, 2)).toThrow(/dropout is not compiled/);
  });
});

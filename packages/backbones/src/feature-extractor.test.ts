import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { ShapeMismatchError } from '@arcface/core';
import { frozenFeatureExtractor } from './feature-extractor';

// A hand-written tfjs graph model (GraphDef JSON + weights): input [B, 2, 2, 1] → reshape [B, 4]
// → MatMul W [4, 3]. Small enough to check every output by hand.
const W = [1, 0, 2, 0, 1, -1, 3, 1, 0, -2, 0.5, 1];
function graphArtifacts(): tf.io.ModelArtifacts {
  const float = { type: 'DT_FLOAT' };
  return {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'input', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: [{ size: '-1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } } },
        { name: 'w', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '4' }, { size: '3' }] } } } } },
        { name: 'shape', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } } } },
        { name: 'flat', op: 'Reshape', input: ['input', 'shape'], attr: { T: float } },
        { name: 'embedding', op: 'MatMul', input: ['flat', 'w'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
      ],
      versions: { producer: 1 },
    },
    weightSpecs: [
      { name: 'w', shape: [4, 3], dtype: 'float32' },
      { name: 'shape', shape: [2], dtype: 'int32' },
    ],
    weightData: concat(new Float32Array(W).buffer, new Int32Array([-1, 4]).buffer),
  };
}

function concat(a: ArrayBuffer, b: ArrayBuffer): ArrayBuffer {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(new Uint8Array(a), 0);
  out.set(new Uint8Array(b), a.byteLength);
  return out.buffer;
}

describeEachBackend('frozenFeatureExtractor', () => {
  it('embeds through a graph model, checks shapes, leaks nothing', async () => {
    const model = await loadGraphModel(tf.io.fromMemory(graphArtifacts()));
    const extractor = frozenFeatureExtractor(model, {
      inputShape: [2, 2, 1],
      preprocess: (x) => tf.mul(x, 2),
      outputNode: 'embedding',
    });
    const images = tf.tensor4d([1, 2, 3, 4, 0, 0, 1, -1], [2, 2, 2, 1]);
    const out = await expectNoLeak(() => extractor.embed(images));
    expect(out.shape).toEqual([2, 3]);
    // Row 1: 2·[1,2,3,4] · W = [2,4,6,8]·W; row 2: 2·[0,0,1,-1]·W.
    const expected = [[2, 4, 6, 8], [0, 0, 2, -2]].map((x) =>
      [0, 1, 2].map((j) => x.reduce((s, xi, i) => s + xi * (W[i * 3 + j] as number), 0)),
    );
    const got = await out.array();
    got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5)));
    expect(() => extractor.embed(tf.zeros([1, 3, 3, 1]) as tf.Tensor4D)).toThrow(ShapeMismatchError);
    tf.dispose([images, out]);
    extractor.dispose();
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArcfaceError } from '@arcface/core';
import { UnsafePickleError } from '@arcface/data';
import { useBackend } from '@arcface/testing';
import { ArchitectureMismatchError, ModelFormatError, UnsupportedModelError } from '../src/errors';
import { importModel } from '../src/interop/import-model';
import { exportOnnx } from '../src/interop/onnx-export';
import { ProtoWriter } from '../src/interop/protobuf';
import * as tfl from '@tensorflow/tfjs-layers';
import { SMALL_FIXTURES } from './interop-helpers';

const fixture = (name: string) => new Uint8Array(readFileSync(join(SMALL_FIXTURES, name)));

/** A one-node ONNX file: input → Conv with a 1×3×1×1 weight whose tensor is `weight`. */
function tinyOnnx(opset: number, weight: ProtoWriter): Uint8Array {
  const node = new ProtoWriter().string(1, 'x').string(1, 'w').string(2, 'y').string(3, 'conv0').string(4, 'Conv');
  const dims = (name: string) =>
    new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, new ProtoWriter().int(1, 1).message(2, new ProtoWriter().message(1, new ProtoWriter().int(1, 1)))));
  const graph = new ProtoWriter().message(1, node).string(2, 'g').message(5, weight).message(11, dims('x')).message(12, dims('y'));
  return new ProtoWriter().int(1, 7).message(7, graph).message(8, new ProtoWriter().string(1, '').int(2, opset)).finish();
}

describe('bad model files give typed errors that say what to do', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  for (const name of ['iresnet18-narrow.pth', 'iresnet18-narrow-legacy.pth', 'iresnet18-narrow-op11.onnx', 'mobilefacenet-narrow-op17.onnx']) {
    it(`${name} cut anywhere: never a model, always a typed error`, () => {
      const bytes = fixture(name);
      for (const fraction of [0.001, 0.1, 0.33, 0.5, 0.77, 0.9, 0.999]) {
        const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
        let error: unknown;
        try {
          importModel(cut, { file: name }).model.dispose();
        } catch (e) {
          error = e;
        }
        expect(error, `${name} cut at ${fraction}`).toBeInstanceOf(ArcfaceError);
        expect((error as Error).message).toContain(name);
      }
    });
  }

  it('a truncated zip checkpoint says so', () => {
    const bytes = fixture('iresnet18-narrow.pth');
    expect(() => importModel(bytes.subarray(0, bytes.length - 100), { file: 'cut.pth' })).toThrow(ModelFormatError);
    expect(() => importModel(bytes.subarray(0, bytes.length - 100), { file: 'cut.pth' })).toThrow(/truncated/);
  });

  it('a .pth of another architecture than --backbone names is refused', () => {
    const r18 = fixture('iresnet18-narrow.pth');
    expect(() => importModel(r18, { file: 'r18.pth', backbone: 'iresnet50' })).toThrow(ArchitectureMismatchError);
    expect(() => importModel(r18, { file: 'r18.pth', backbone: 'iresnet50' })).toThrow(/\[3, 4, 14, 3\].*\[2, 2, 2, 2\]/);
    expect(() => importModel(fixture('mobilefacenet-narrow.pth'), { file: 'mbf.pth', backbone: 'r18' })).toThrow(/no 'conv1.weight'/);
    expect(() => importModel(r18, { file: 'r18.pth', backbone: 'mobilefacenet' })).toThrow(ArchitectureMismatchError);
    expect(() => importModel(r18, { file: 'r18.pth', backbone: 'resnet9000' })).toThrow(/not an arcface_torch architecture/);
    // The right name passes.
    importModel(r18, { file: 'r18.pth', backbone: 'r18' }).model.dispose();
  });

  it('an ONNX op outside iResNet/MobileFaceNet names the node and the op', () => {
    let error: unknown;
    try {
      importModel(fixture('relu-op11.onnx'), { file: 'relu.onnx' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedModelError);
    expect((error as UnsupportedModelError).op).toBe('Relu');
    expect((error as UnsupportedModelError).node).toMatch(/Relu/);
  });

  it('a checkpoint whose pickle would run code (os.system) is refused before anything runs', () => {
    expect(() => importModel(fixture('runs-code.pth'), { file: 'evil.pth' })).toThrow(UnsafePickleError);
    expect(() => importModel(fixture('runs-code.pth'), { file: 'evil.pth' })).toThrow(/'posix system' is not an allowed global/);
  });

  it('external data, opsets outside 9–17 and non-ONNX bytes are refused', () => {
    const w = (extra: (t: ProtoWriter) => ProtoWriter) => extra(new ProtoWriter().ints(1, [1, 1, 1, 1]).int(2, 1).string(8, 'w'));
    const external = tinyOnnx(11, w((t) => t.message(13, new ProtoWriter().string(1, 'location').string(2, 'weights.bin')).int(14, 1)));
    expect(() => importModel(external, { file: 'ext.onnx' })).toThrow(/external file/);
    expect(() => importModel(tinyOnnx(8, w((t) => t.floats(4, [1]))), { file: 'old.onnx' })).toThrow(/opset 8/);
    expect(() => importModel(tinyOnnx(18, w((t) => t.floats(4, [1]))), { file: 'new.onnx' })).toThrow(/opset 18/);
    // Typed-field initializer (float_data) is read: the graph then fails for being no face model.
    expect(() => importModel(tinyOnnx(11, w((t) => t.floats(4, [1]))), { file: 'tiny.onnx' })).toThrow(ArchitectureMismatchError);
    expect(() => importModel(new TextEncoder().encode('not a model at all'), { file: 'x.onnx' })).toThrow(ModelFormatError);
    expect(() => importModel(new Uint8Array(0), { file: 'empty.onnx' })).toThrow(/empty/);
  });

  it('exporting a network with layers ONNX export does not cover names the layer', async () => {
    const input = tfl.input({ shape: [8, 8, 3], name: 'input' });
    const pooled = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 4, name: 'fc' }).apply(tfl.layers.flatten({ name: 'flat' }).apply(pooled)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    try {
      await expect(exportOnnx(model)).rejects.toThrow(UnsupportedModelError);
      await expect(exportOnnx(model)).rejects.toThrow(/'pool' \(MaxPooling2D\)/);
    } finally {
      model.dispose();
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '@arcface/testing';
import { ModelIoError } from '../errors';
import { createBackbone } from '../registry';
import { fileSystemHandler, registerFileSystemRouter } from './file-system-handler';
import { loadBackbone, saveBackbone } from './save-load';

const dir = mkdtempSync(join(tmpdir(), 'arcface-backbones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachBackend('save and load through tfjs IO', (backend) => {
  it('a saved model loads back with equal predictions (model.json + weights.bin)', async () => {
    const model = createBackbone('tiny-cnn', { inputShape: [16, 16, 1], embeddingSize: 8, channels: [4, 8], seed: 11 });
    const target = join(dir, `tiny-${backend}`);
    await saveBackbone(model, fileSystemHandler(target));
    const json = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8')) as { format: string; weightsManifest: unknown[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toHaveLength(1);

    const loaded = await loadBackbone(fileSystemHandler(target));
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 2);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('file:// URLs work once the router is registered', async () => {
    registerFileSystemRouter();
    const model = createBackbone('mlp', { inputShape: [2, 2, 1], embeddingSize: 2, hidden: [3] });
    const url = pathToFileURL(join(dir, `mlp-${backend}`)).href;
    await saveBackbone(model, url);
    const loaded = await loadBackbone(url);
    expect(loaded.getWeights().map((w) => w.shape)).toEqual(model.getWeights().map((w) => w.shape));
    // The embedding BN's γ stays fixed at 1 after a round trip (insightface's requires_grad=False).
    const fixed = (m: typeof model) => m.weights.filter((w) => w.originalName.endsWith('output_features/gamma'));
    expect(fixed(model)).toHaveLength(1);
    expect(fixed(loaded).map((w) => w.trainable)).toEqual([false]);
    expect(loaded.trainableWeights.length).toBe(model.trainableWeights.length);
    model.dispose();
    loaded.dispose();
  });
});

it('loading from a missing folder or with truncated weights is a ModelIoError', async () => {
  await expect(fileSystemHandler(join(dir, 'nothing-here')).load!()).rejects.toThrow(ModelIoError);
  const target = join(dir, 'truncated');
  const handler = fileSystemHandler(target);
  await handler.save!({
    modelTopology: {},
    weightSpecs: [{ name: 'w', shape: [4], dtype: 'float32' }],
    weightData: new Float32Array([1, 2, 3, 4]).buffer,
  });
  writeFileSync(join(target, 'weights.bin'), new Uint8Array(8));
  await expect(handler.load!()).rejects.toThrow(`'${join(target, 'weights.bin')}' holds 8 bytes but '${join(target, 'model.json')}' lists 16 bytes of weights: the weights are truncated`);
  await expect(saveBackbone(createBackbone('mlp', { inputShape: [1, 1, 1] }), 'nowhere://x')).rejects.toThrow(ModelIoError);
});

describe('a damaged model folder is refused, naming the file', () => {
  const saved = async (name: string): Promise<string> => {
    const target = join(dir, name);
    await saveBackbone(createBackbone('mlp', { inputShape: [2, 2, 1], embeddingSize: 2, hidden: [3] }), fileSystemHandler(target));
    return target;
  };

  it('a missing model.json', async () => {
    const target = await saved('no-model-json');
    rmSync(join(target, 'model.json'));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(`'${join(target, 'model.json')}' is missing`);
  });

  it('a missing or truncated weights file, and a model.json that is cut short or not JSON', async () => {
    const target = await saved('damaged');
    const weights = readFileSync(join(target, 'weights.bin'));
    const json = readFileSync(join(target, 'model.json'), 'utf8');
    writeFileSync(join(target, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(new RegExp(`'${join(target, 'weights.bin')}' holds ${weights.length - 4} bytes.*truncated`));
    rmSync(join(target, 'weights.bin'));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(`the weights file '${join(target, 'weights.bin')}' is missing`);
    writeFileSync(join(target, 'weights.bin'), weights);
    writeFileSync(join(target, 'model.json'), json.slice(0, json.length / 2));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(new RegExp(`'${join(target, 'model.json')}' is not valid JSON`));
    writeFileSync(join(target, 'model.json'), JSON.stringify({ ...JSON.parse(json), weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(/outside its folder/);
    writeFileSync(join(target, 'model.json'), JSON.stringify({ ...JSON.parse(json), modelTopology: { class_name: 'Nonsense' } }));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(new RegExp(`cannot build the model saved at '${target}'`));
    // A dangling reference made tfjs-layers wait forever for a layer that never comes.
    writeFileSync(join(target, 'model.json'), json.replace('[["input",0,0,{}]]', '[["inpxt",0,0,{}]]'));
    await expect(loadBackbone(fileSystemHandler(target))).rejects.toThrow(new RegExp(`'${target}' layer 'flatten' names a layer 'inpxt' it does not have`));
    writeFileSync(join(target, 'model.json'), json);
    (await loadBackbone(fileSystemHandler(target))).dispose();
  });
});

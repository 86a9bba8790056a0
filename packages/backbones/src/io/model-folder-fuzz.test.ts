import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArcfaceError } from '@arcface/core';
import { collectGarbageClosedDescriptors, mutatedFiles, openDescriptors, scratchDir, withinTime } from '@arcface/testing';
import { createBackbone } from '../registry';
import { fileSystemHandler } from './file-system-handler';
import { loadBackbone, saveBackbone } from './save-load';

const dir = scratchDir('arcface-model-fuzz-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => tf.setBackend('cpu'));

/**
 * 1,000 damaged model folders (mutated model.json, mutated or truncated weights.bin, a file
 * missing): each loads or fails with a typed error naming a file of the folder; descriptors
 * return to where they were; no case hangs.
 */
it('1,000 mutated model folders: loaded or refused with a typed error naming the file, no descriptor left open', async () => {
  const target = join(dir, 'model');
  await saveBackbone(createBackbone('mlp', { inputShape: [2, 2, 1], embeddingSize: 2, hidden: [3], seed: 3 }), fileSystemHandler(target));
  const json = new Uint8Array(readFileSync(join(target, 'model.json')));
  const weights = new Uint8Array(readFileSync(join(target, 'weights.bin')));
  const cases: Array<{ json?: Uint8Array; weights?: Uint8Array }> = [
    ...mutatedFiles(json, 500, 61).map((j) => ({ json: j, weights })),
    ...mutatedFiles(weights, 400, 62).map((w) => ({ json, weights: w })),
    ...Array.from({ length: 50 }, () => ({ weights })),
    ...Array.from({ length: 50 }, () => ({ json })),
  ];
  const errors: Record<string, number> = {};
  const bad: string[] = [];
  let loaded = 0;
  const before = openDescriptors();
  for (const [i, c] of cases.entries()) {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target);
    if (c.json) writeFileSync(join(target, 'model.json'), c.json);
    if (c.weights) writeFileSync(join(target, 'weights.bin'), c.weights);
    const fds = openDescriptors();
    try {
      const model = await withinTime(loadBackbone(fileSystemHandler(target)), 5000, `model folder case ${i}`);
      loaded++;
      model.dispose();
    } catch (error) {
      if (!(error instanceof ArcfaceError)) bad.push(`case ${i}: untyped ${String(error)}`);
      else {
        errors[error.name] = (errors[error.name] ?? 0) + 1;
        if (!error.message.includes(target)) bad.push(`case ${i}: does not name the folder: ${error.message}`);
      }
    }
    if (openDescriptors() !== fds) bad.push(`case ${i}: ${fds} → ${openDescriptors()} descriptors`);
  }
  const after = openDescriptors();
  console.log(`fuzz model-folder: ${JSON.stringify({ cases: cases.length, loaded, errors, descriptors: { before, after } })}`);
  expect(cases.length).toBeGreaterThanOrEqual(1000);
  expect(bad.slice(0, 5)).toEqual([]);
  expect(after).toBe(before);
  expect(await collectGarbageClosedDescriptors()).toEqual([]);
  // Only mutations that keep the weights' size (flipped bytes) can load; none of the missing-file cases does.
  expect(loaded).toBeLessThan(900);
});

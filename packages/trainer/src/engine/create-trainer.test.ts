import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownBackboneError, createBackbone } from '@arcface/backbones';
import { createSyntheticFaces, makeVerificationPairs, type FaceDataset } from '@arcface/data';
import { UnknownMarginError, createMargin, type MarginFn } from '@arcface/margins';
import { describeEachBackend, registerGradients, useBackend } from '@arcface/testing';
import { BatchTooLargeError, EmbeddingSizeMismatchError, NonFiniteLossError, UnknownOptimizerError } from '../errors';
import { fileCheckpointStore } from '../node/file-checkpoint-store';
import { fullClassifier } from '../heads/full-classifier';
import { partialFc } from '../heads/partial-fc';
import { createTrainer } from './create-trainer';
import { jsonLinesWriter } from '../node/json-lines';
import { smallRunConfig } from './test-fixtures/small-run';
import type { TrainerEvent } from './trainer-events';

const root = mkdtempSync(join(tmpdir(), 'arcface-trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeEachBackend('createTrainer', (backend) => {
  beforeAll(registerGradients);

  it('no tensor leak over 200 training steps (tf.memory().numTensors flat)', async () => {
    const trainer = createTrainer(smallRunConfig({ steps: 200, schedule: { type: 'constant', lr: 0.01 } }));
    await trainer.trainStep(); // optimiser slots are created on the first step
    const after1 = tf.memory().numTensors;
    for (let i = 1; i < 200; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(after1);
    expect(trainer.step).toBe(200);
    trainer.dispose();
  });

  it('calls the margin with training: true during steps (running statistics update only then)', async () => {
    const base = createMargin('additive-angular', { m: 0.5, s: 16 });
    const seen: unknown[] = [];
    // Records the context of every margin call the loss makes (the margin object is frozen:
    // wrap a copy).
    const record = <F extends (...xs: never[]) => unknown>(fn: F | undefined): F | undefined =>
      fn === undefined
        ? undefined
        : (((...args: unknown[]) => {
            const context = args.find((a): a is { training?: boolean } => typeof a === 'object' && a !== null && 'training' in a);
            seen.push(context?.training);
            return (fn as unknown as (...xs: unknown[]) => unknown)(...args);
          }) as unknown as F);
    const spy = { ...base, logits: record(base.logits) ?? base.logits, ...(base.target === undefined ? {} : { target: record(base.target) }) } as MarginFn;
    const trainer = createTrainer(smallRunConfig({ steps: 2, margin: spy, schedule: { type: 'constant', lr: 0.01 } }));
    await trainer.train();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((t) => t === true)).toBe(true);
    trainer.dispose();
  });

  it('ArcFace on synthetic faces: the loss and the mean target angle θ_y fall', async () => {
    const trainer = createTrainer(smallRunConfig({ steps: 40, schedule: { type: 'constant', lr: 0.05 } }));
    const { history } = await trainer.train();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(history.slice(-5).map((m) => m.loss))).toBeLessThan(mean(history.slice(0, 5).map((m) => m.loss)));
    expect(mean(history.slice(-5).map((m) => m.thetaY))).toBeLessThan(mean(history.slice(0, 5).map((m) => m.thetaY)) - 5);
    trainer.dispose();
  });

  it('evaluates held-out pairs (10-fold, flip-sum), Table 3 statistics, writes JSON lines and events', async () => {
    const heldOut = createSyntheticFaces({ identities: 4, imagesPerIdentity: 6, size: 8, seed: 99 });
    const pairs = makeVerificationPairs(heldOut.labels, { folds: 10, pairsPerFold: 4, seed: 1 });
    const log = join(root, `metrics-${backend}.jsonl`);
    const events: TrainerEvent['type'][] = [];
    const trainer = createTrainer(
      smallRunConfig({
        steps: 4,
        metrics: jsonLinesWriter(log),
        onEvent: (e) => events.push(e.type),
        evaluation: { every: 2, sets: [{ name: 'held-out', dataset: heldOut, ...pairs }], statisticsSamples: 36 },
      }),
    );
    const { evaluations } = await trainer.train();
    expect(evaluations.map((e) => e.step)).toEqual([2, 4]);
    const last = evaluations[1]!;
    expect(last.sets[0]!.pairs).toBe(40);
    expect(last.sets[0]!.verification.folds).toHaveLength(10);
    const acc = last.sets[0]!.verification.accuracy.mean;
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(acc).toBeLessThanOrEqual(1);
    for (const v of Object.values(last.statistics!)) expect(v).toBeGreaterThan(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(4);
    expect(lines.filter((l) => l.type === 'evaluation')).toHaveLength(2);
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('end');
    expect(events.filter((e) => e === 'step')).toHaveLength(4);
    trainer.dispose();
  });

  it('the NaN guard stops with a typed error naming the last good checkpoint, which stays readable', async () => {
    const dir = join(root, `nan-${backend}`);
    const trainer = createTrainer(
      smallRunConfig({ steps: 10, schedule: { type: 'constant', lr: 1e30 }, clipGradientNorm: null, checkpoint: { store: fileCheckpointStore(dir), every: 1 } }),
    );
    let error: unknown;
    try {
      await trainer.train();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).code).toBe('ERR_NON_FINITE_LOSS');
    const last = (error as NonFiniteLossError).lastCheckpoint;
    expect(last).toBeDefined();
    expect((error as Error).message).toContain(last!);
    const latest = await fileCheckpointStore(dir).latest();
    expect(latest?.path).toBe(last);
    expect(latest!.contents.arrays.every((a) => a.data.every(Number.isFinite))).toBe(true);
    trainer.dispose();
  });
});

describe('Partial FC', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await registerGradients();
  });

  it('100,000 classes × 512: a training step keeps device memory to the sampled rows', async () => {
    const classes = 100_000;
    // 16 images of 16 classes spread over the whole id range.
    const data: FaceDataset = {
      length: 16,
      numClasses: classes,
      label: (i) => i * 6_250 + 7,
      loadImage: async (i) => ({ width: 4, height: 4, data: new Uint8Array(48).fill(10 + i * 10) }),
    };
    const head = partialFc({ numClasses: classes, embeddingSize: 512, sampleRate: 0.1, seed: 1 });
    const before = tf.memory().numBytes;
    const step = head.prepare(Int32Array.from({ length: 16 }, (_, i) => data.label(i)), 0);
    // 10,000 sampled rows of 512 floats: 20 MB, not the 205 MB of all centres.
    expect(step.centers.shape).toEqual([10_000, 512]);
    expect(tf.memory().numBytes - before).toBeLessThan(25e6);
    for (let i = 0; i < 16; i++) expect(step.classes).toContain(data.label(i));
    step.dispose();

    const trainer = createTrainer({
      backbone: createBackbone('mlp', { inputShape: [4, 4, 3], embeddingSize: 512, hidden: [32] }),
      margin: { name: 'additive-angular', options: { s: 64 } },
      head,
      data,
      batchSize: 16,
      steps: 1,
      seed: 1,
    });
    const bytesBefore = tf.memory().numBytes;
    const metrics = await trainer.trainStep();
    expect(Number.isFinite(metrics.loss)).toBe(true);
    // Only slots of the backbone (a few hundred kB) remain; the centres stay in host memory.
    expect(tf.memory().numBytes - bytesBefore).toBeLessThan(5e6);
    trainer.dispose();
  }, 120_000);
});

describe('configuration errors are typed and come before any training', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it.each([
    ['an unknown backbone', () => ({ backbone: { name: 'resnet-9000' } }), UnknownBackboneError],
    ['an unknown margin', () => ({ margin: { name: 'arcfac' } }), UnknownMarginError],
    ['an unknown optimizer', () => ({ optimizer: { name: 'adam' } as never }), UnknownOptimizerError],
    ['a batch larger than the data', () => ({ batchSize: 37 }), BatchTooLargeError],
    ['a mismatched embedding size', () => ({ embeddingSize: 512 }), EmbeddingSizeMismatchError],
    ['a head of another width', () => ({ head: fullClassifier({ numClasses: 6, embeddingSize: 4, seed: 1 }) }), EmbeddingSizeMismatchError],
  ])('%s', (_, overrides, errorClass) => {
    const tensors = tf.memory().numTensors;
    expect(() => createTrainer(smallRunConfig(overrides() as never))).toThrow(errorClass as never);
    // Only the injected head (if any) may have allocated.
    expect(tf.memory().numTensors - tensors).toBeLessThanOrEqual(1);
  });

  it('messages name the offending value', () => {
    expect(() => createTrainer(smallRunConfig({ batchSize: 37 }))).toThrow(/37.*36 samples/);
    expect(() => createTrainer(smallRunConfig({ embeddingSize: 512 }))).toThrow(/8-d.*512-d/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointContents, NamedArray } from '../checkpoint/checkpoint-format';
import { CheckpointError } from '../errors';
import type { ResolvedTrainer } from './configure-trainer';
import type { TrainingState } from './training-state';

/** Turns a run's state into checkpoint contents and back. */
export interface TrainerCheckpoint {
  /** What identifies the run's shape; a checkpoint of another shape is refused on restore. */
  fingerprint(): Record<string, unknown> & { numClasses: number; embeddingSize: number; weights: number; trainable: number };
  /** Reads every weight, slot and centre back from the backend (asynchronously). */
  contents(): Promise<CheckpointContents>;
  /** Writes `contents` into the model, slots and head, after checking they fit. */
  restore(contents: CheckpointContents, path: string): void;
}

/**
 * The checkpoint of a run: the model's weights as `model/<i>/<name>`, the optimiser slots as
 * `slot/<i>/<slot>`, the head as `head/centers` and `head/slot/<k>`, and the run's settings in
 * the metadata. Values are read with `await data()`, which works on every backend.
 */
export function trainerCheckpoint(run: ResolvedTrainer, state: TrainingState): TrainerCheckpoint {
  const { model, head, optimizer, margin, numClasses, embeddingSize } = run;
  const { seed, batchSize } = run.config;

  const fingerprint = () => ({
    backbone: run.backboneSpec ?? { name: model.name },
    margin: { name: margin.name, options: margin.options },
    head: head.config,
    optimizer: { name: optimizer.name, options: optimizer.options },
    numClasses,
    embeddingSize,
    weights: model.weights.length,
    trainable: model.trainableWeights.length,
  });

  const arrays = async (): Promise<NamedArray[]> => {
    const read = async (t: tf.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;
    const out: NamedArray[] = await Promise.all(
      model.weights.map(async (w, i) => ({ name: `model/${i}/${w.originalName}`, shape: w.shape as number[], data: await read(w.read()) })),
    );
    for (const [i, own] of state.slots.entries()) {
      for (const [k, s] of own.entries()) out.push({ name: `slot/${i}/${optimizer.slots[k]}`, shape: s.shape, data: await read(s) });
    }
    const headState = await head.getState();
    out.push({ name: 'head/centers', shape: [numClasses, embeddingSize], data: headState.centers });
    headState.slots.forEach((s, k) => out.push({ name: `head/slot/${k}`, shape: [numClasses, embeddingSize], data: s }));
    return out;
  };

  const restore = (contents: CheckpointContents, path: string): void => {
    const meta = contents.meta as { step: number; numClasses: number; embeddingSize: number; weights: number; trainable: number; optimizer: { name: string } };
    const expected = fingerprint();
    for (const key of ['numClasses', 'embeddingSize', 'weights', 'trainable'] as const) {
      if (meta[key] !== expected[key]) {
        throw new CheckpointError(`${path}: ${key} is ${meta[key]} in the checkpoint but ${expected[key]} in this configuration`);
      }
    }
    if (meta.optimizer.name !== optimizer.name) {
      throw new CheckpointError(`${path}: written by optimizer '${meta.optimizer.name}', this run uses '${optimizer.name}'`);
    }
    const byName = new Map(contents.arrays.map((a) => [a.name, a]));
    const take = (name: string, shape: readonly number[]): Float32Array => {
      const a = byName.get(name);
      if (a === undefined) throw new CheckpointError(`${path}: array '${name}' is missing`);
      if (a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i])) {
        throw new CheckpointError(`${path}: '${name}' has shape [${a.shape}], expected [${shape}]`);
      }
      return a.data;
    };
    model.weights.forEach((w, i) => {
      const values = take(`model/${i}/${w.originalName}`, w.shape as number[]);
      tf.tidy(() => {
        w.write(tf.tensor(values, w.shape as number[]));
      });
    });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    tf.dispose(state.slots.flat());
    state.slots = [];
    if (byName.has('slot/0/' + optimizer.slots[0])) {
      state.slots = vars.map((v, i) => optimizer.slots.map((name) => tf.tidy(() => tf.variable(tf.tensor(take(`slot/${i}/${name}`, v.shape), v.shape), false))));
    }
    const headSlots: Float32Array[] = [];
    for (let k = 0; byName.has(`head/slot/${k}`); k++) headSlots.push(take(`head/slot/${k}`, [numClasses, embeddingSize]));
    head.setState({ centers: take('head/centers', [numClasses, embeddingSize]), slots: headSlots });
    state.step = meta.step;
    state.lastCheckpoint = path;
  };

  return {
    fingerprint,
    contents: async () => ({
      meta: { step: state.step, seed, batchSize, accumulation: run.accumulation, schedule: run.schedule, ...fingerprint() },
      arrays: await arrays(),
    }),
    restore,
  };
}

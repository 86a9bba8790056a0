import { expect, it } from 'vitest';
import { describeEachBackend, registerGradients } from '@arcface/testing';
import { createTrainer } from '../engine/create-trainer';
import { maxDifference, smallRunConfig, snapshot } from '../engine/test-fixtures/small-run';
import { CheckpointError } from '../errors';
import { memoryCheckpointStore } from './memory-checkpoint-store';

describeEachBackend('memoryCheckpointStore', () => {
  it('a run stopped at step 3 and resumed from memory ends where the straight run ends (≤ 1e-6)', async () => {
    await registerGradients();
    const straight = createTrainer(smallRunConfig());
    await straight.train();
    const expected = await snapshot(straight);
    straight.dispose();

    const store = memoryCheckpointStore({ keep: 2 });
    const first = createTrainer(smallRunConfig({ checkpoint: { store, every: 1 } }));
    await first.train({ untilStep: 3 });
    first.dispose();
    expect(await store.list()).toEqual([2, 3]);

    const resumed = createTrainer(smallRunConfig({ checkpoint: { store, every: 1 } }));
    await resumed.train();
    expect(resumed.history[0]?.step).toBe(4);
    expect(maxDifference(await snapshot(resumed), expected)).toBeLessThanOrEqual(1e-6);
    expect(await store.list()).toEqual([7, 8]);
    resumed.dispose();
  });

  it('refuses a bad keep, and a restore into a run of another shape names the mismatch', async () => {
    expect(() => memoryCheckpointStore({ keep: 0 })).toThrow(CheckpointError);
    await registerGradients();
    const store = memoryCheckpointStore();
    const small = createTrainer(smallRunConfig({ steps: 1, checkpoint: { store, every: 1 } }));
    await small.train();
    small.dispose();
    const wider = createTrainer(
      smallRunConfig({ backbone: { name: 'mlp', options: { inputShape: [8, 8, 3], embeddingSize: 4, hidden: [16] } }, checkpoint: { store, every: 1 } }),
    );
    await expect(wider.resume()).rejects.toThrow(/embeddingSize is 8 in the checkpoint but 4/);
    wider.dispose();
  });
});

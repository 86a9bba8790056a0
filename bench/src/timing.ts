import * as tf from '@tensorflow/tfjs-core';

/**
 * Median wall time of `reps` runs after one warm-up. `run` returns the tensors whose values
 * end the work; reading them (`await data()`) waits for a GPU queue too. Everything else it
 * made is freed by the tidy.
 */
export async function medianMs(reps: number, run: () => tf.Tensor[]): Promise<number> {
  const once = async (): Promise<number> => {
    const started = performance.now();
    const outputs = tf.tidy(run);
    for (const t of outputs) await t.data();
    const ms = performance.now() - started;
    tf.dispose(outputs);
    return ms;
  };
  await once();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * Median wall time of `reps` runs after `warmups` untimed ones (default 1). `run` returns the tensors whose values
 * end the work; reading them (`await data()`) waits for a GPU queue too. Everything else it
 * made is freed by the tidy.
 */
export async function medianMs(reps: number, run: () => tf.Tensor[], warmups = 1): Promise<number> {
  const once = async (): Promise<number> => {
    const started = performance.now();
    const outputs = tf.tidy(run);
    for (const t of outputs) await t.data();
    const ms = performance.now() - started;
    tf.dispose(outputs);
    return ms;
  };
  for (let w = 0; w < warmups; w++) await once();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

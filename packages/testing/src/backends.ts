import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe } from 'vitest';

/** The backends every tensor test runs on. `ARCFACE_TEST_BACKENDS=cpu` narrows the set. */
export const TEST_BACKENDS: readonly string[] = (process.env.ARCFACE_TEST_BACKENDS ?? 'cpu,wasm')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name.length > 0);

let registered: Promise<void> | undefined;

/** Registers the cpu and wasm backends once per test process. Neither registers at import time in our packages. */
export function registerTestBackends(): Promise<void> {
  registered ??= (async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@tensorflow/tfjs-backend-wasm');
  })();
  return registered;
}

/** Switches to `name`, waiting for the wasm module to compile. */
export async function useBackend(name: string): Promise<void> {
  await registerTestBackends();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * Runs a suite once per backend in {@link TEST_BACKENDS}, in the manner of tfjs'
 * `describeWithFlags`: `describeEachBackend('loss', (backend) => { it(...) })`.
 */
export function describeEachBackend(title: string, body: (backend: string) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${title} [${backend}]`, () => {
      let previous: string | undefined;
      beforeAll(async () => {
        await registerTestBackends();
        previous = tf.getBackend();
        await useBackend(backend);
      });
      afterAll(async () => {
        if (previous !== undefined && previous !== backend) await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}

/**
 * Registers tfjs' gradient functions. In Node, `@tensorflow/tfjs-core` alone registers none
 * (its node bundle leaves them out); the layers bundle registers them all when loaded. Tests
 * that differentiate through plain tfjs ops call this; tests that prove a function needs no
 * gradient registry do not.
 */
export async function registerGradients(): Promise<void> {
  await import('@tensorflow/tfjs-layers');
}

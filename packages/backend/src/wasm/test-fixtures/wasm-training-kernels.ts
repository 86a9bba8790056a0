import { afterAll, beforeAll } from 'vitest';
import { registerTestBackends, useBackend } from '@arcface/testing';
import { registerWasmTrainingKernels, type WasmTrainingKernels } from '../register-wasm-training-kernels';

/** Inside a describe: wasm active with this package's kernels registered, both undone afterwards. */
export function useWasmTrainingKernels(): void {
  let kernels: WasmTrainingKernels;
  beforeAll(async () => {
    await registerTestBackends();
    await useBackend('wasm');
    kernels = registerWasmTrainingKernels();
  });
  afterAll(async () => {
    kernels.unregister();
    await useBackend('cpu');
  });
}

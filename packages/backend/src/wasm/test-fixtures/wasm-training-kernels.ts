import { afterAll, beforeAll } from 'vitest';
import { registerTestBackends, useBackend } from '@arcface/testing';
import { setNativeKernelsEnabled } from '../native/native-kernels';
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

/** Inside a describe: the native kernels on or off for its tests, the previous setting restored afterwards. */
export function useNativeKernels(enabled: boolean): void {
  let previous: boolean;
  beforeAll(() => {
    previous = setNativeKernelsEnabled(enabled);
  });
  afterAll(() => {
    setNativeKernelsEnabled(previous);
  });
}

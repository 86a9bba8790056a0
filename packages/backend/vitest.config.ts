import { defineConfig } from 'vitest/config';
import { KERNELS_WASM_PLAIN_RELAXED } from './src/wasm/native/kernels-binary';

// Node 20 validates relaxed SIMD only behind a V8 flag, which the library never sets. The test
// processes own themselves, as the `arcface` CLI does, and start with it so that both builds of
// the native kernels are tested; tests that need a flagless Node spawn one.
const relaxedSimdNeedsFlag = !WebAssembly.validate(Buffer.from(KERNELS_WASM_PLAIN_RELAXED, 'base64'));

// Workspace packages resolve to their TypeScript sources (the `@arcface/source` export
// condition), so tests never depend on another package's build output.
export default defineConfig({
  resolve: { conditions: ['@arcface/source'] },
  ssr: { resolve: { conditions: ['@arcface/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: relaxedSimdNeedsFlag ? ['--experimental-wasm-relaxed-simd'] : [],
  },
});

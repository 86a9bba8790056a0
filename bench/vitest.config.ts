import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@arcface/source'] },
  ssr: { resolve: { conditions: ['@arcface/source'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
});

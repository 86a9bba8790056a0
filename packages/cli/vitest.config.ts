import { defineConfig } from 'vitest/config';

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
  },
});

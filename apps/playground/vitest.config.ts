import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `@arcface/source` export
// condition), so tests never depend on another package's build output. The browser test in
// e2e/ builds the app itself.
export default defineConfig({
  resolve: { conditions: ['@arcface/source'] },
  ssr: { resolve: { conditions: ['@arcface/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});

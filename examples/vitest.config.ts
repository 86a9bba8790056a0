import { defineConfig } from 'vitest/config';

// The examples import the workspace packages from their TypeScript sources (the
// `@arcface/source` export condition), so they run without a build.
export default defineConfig({
  resolve: { conditions: ['@arcface/source'] },
  ssr: { resolve: { conditions: ['@arcface/source'] } },
  test: {
    include: ['*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `@arcface/source` export
// condition), so tests never depend on another package's build output.
export default defineConfig({
  resolve: { conditions: ['@arcface/source'] },
  ssr: { resolve: { conditions: ['@arcface/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Starts (or finds, through ARCFACE_PG_URL) the PostgreSQL server of the server tests.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});

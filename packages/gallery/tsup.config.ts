import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entries: the browser-safe root (PGlite) and the Node-only './node' (node-postgres, folders).
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['pg', '@electric-sql/pglite', '@electric-sql/pglite-pgvector'],
});

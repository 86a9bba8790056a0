import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entries: the browser-safe root and the Node-only './node' (fs, sharp).
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['sharp'],
});

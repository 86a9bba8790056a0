import { defineConfig } from 'tsup';

export default defineConfig({
  // The browser-safe root entry, the toy experiment, and the Node-only `./node` entry.
  entry: { index: 'src/index.ts', node: 'src/node.ts', toy: 'src/toy.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});

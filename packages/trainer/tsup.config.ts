import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: the browser-safe root entry and the Node-only `./node` entry.
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
  },
  {
    // The `arcface` command: one ES module with its shebang, run by Node directly.
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
]);

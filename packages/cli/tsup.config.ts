import { defineConfig } from 'tsup';

export default defineConfig({
  // The `arcface` command (one ES module with its shebang, run by Node directly) and the same
  // application as functions, for scripts that drive it.
  entry: { bin: 'src/cli/bin.ts', index: 'src/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});

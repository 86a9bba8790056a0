import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const wasmFiles = readdirSync(wasmDir).filter((file) => file.endsWith('.wasm'));

/**
 * Serves tfjs' `.wasm` binaries from the page's own origin under `wasm/`: in the dev server
 * and copied into the build. The page passes that relative URL to `setWasmPaths`, so no
 * request goes to a CDN.
 */
function tfjsWasmBinaries(): Plugin {
  return {
    name: 'tfjs-wasm-binaries',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const file = request.url?.split('?')[0]?.split('/wasm/')[1];
        if (file === undefined || !wasmFiles.includes(file)) return next();
        response.setHeader('Content-Type', 'application/wasm');
        response.end(readFileSync(join(wasmDir, file)));
      });
    },
    generateBundle() {
      for (const file of wasmFiles) {
        this.emitFile({ type: 'asset', fileName: `wasm/${file}`, source: readFileSync(join(wasmDir, file)) });
      }
    },
  };
}

export default defineConfig({
  // Relative URLs everywhere: the build works from any folder of any static host.
  base: './',
  resolve: { conditions: ['@arcface/source'] },
  worker: { format: 'es' },
  plugins: [tfjsWasmBinaries()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
});

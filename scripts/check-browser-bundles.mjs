#!/usr/bin/env node
// Bundles the root entry of every published library package for the browser, as a web app's
// bundler would, and fails when a bundle cannot be built or still imports a Node built-in.
// The application (`@arcface/cli`) is Node-only by design and is not checked.
//
//   node scripts/check-browser-bundles.mjs
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT, libraryPackages } from './lib/workspace.mjs';

const NODE_ONLY = new Set(['@arcface/cli']);
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
let failed = 0;
for (const pkg of libraryPackages()) {
  if (NODE_ONLY.has(pkg.name)) continue;
  const entry = pkg.manifest.exports?.['.']?.['@arcface/source'];
  if (entry === undefined) throw new Error(`${pkg.name}: no '@arcface/source' root entry in package.json exports`);
  const found = new Set();
  try {
    const result = await build({
      entryPoints: [join(pkg.dir, entry)],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      conditions: ['@arcface/source'],
      // tfjs is the user's own peer dependency; what matters is what our code pulls in.
      external: ['@tensorflow/*'],
      plugins: [
        {
          name: 'report-node-builtins',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (!builtins.has(args.path)) return undefined;
              // PGlite (@arcface/gallery) reaches Node built-ins only through `import()` on its Node
              // paths (a folder dataDir, the Node wasm loader), never in a browser: 0.5.15 checked.
              if (args.importer.includes('/@electric-sql/pglite/')) return { path: args.path, external: true };
              found.add(`${args.path} (from ${args.importer.replace(`${REPO_ROOT}/`, '')})`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    if (found.size > 0) {
      failed += 1;
      console.log(`FAIL  ${pkg.name}: imports Node built-ins:\n        ${[...found].join('\n        ')}`);
    } else {
      console.log(`ok    ${pkg.name}: ${(bytes / 1024).toFixed(0)} kB, no Node built-in`);
    }
  } catch (error) {
    failed += 1;
    console.log(`FAIL  ${pkg.name}: ${error.errors?.map((e) => e.text).join('; ') ?? error.message}`);
  }
}
if (failed > 0) {
  console.log(`${failed} package(s) cannot be bundled for the browser`);
  process.exit(1);
}

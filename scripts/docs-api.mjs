#!/usr/bin/env node
// Generates the API reference (docs/api) from the TSDoc of every library package's public
// entry points, as their package.json `exports` name them (the `@arcface/source` condition
// points at the TypeScript source of each entry). Options live in typedoc.json.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT, bin, libraryPackages, run } from './lib/workspace.mjs';

// One small module per entry point, named by its import specifier (`@module @arcface/data/node`),
// that re-exports the entry: TypeDoc would otherwise name modules by path ("data/src/node").
const ENTRIES = join(REPO_ROOT, 'scripts', '.typedoc-entries');
rmSync(ENTRIES, { recursive: true, force: true });
const entryPoints = [];
for (const pkg of libraryPackages()) {
  for (const [subpath, target] of Object.entries(pkg.manifest.exports ?? {})) {
    const source = typeof target === 'object' && target !== null ? target['@arcface/source'] : undefined;
    if (typeof source !== 'string') continue;
    const specifier = `${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}`;
    const shim = join(ENTRIES, `${specifier.replace(/^@/, '').replaceAll('/', '__')}.ts`);
    const reexport = relative(dirname(shim), join(pkg.dir, source)).replace(/\.ts$/, '');
    mkdirSync(dirname(shim), { recursive: true });
    writeFileSync(shim, `/**\n * ${pkg.manifest.description ?? specifier}\n *\n * @module ${specifier}\n */\nexport * from '${reexport}';\n`);
    entryPoints.push(relative(REPO_ROOT, shim));
    console.log(`docs:api: ${specifier} <- ${relative(REPO_ROOT, join(pkg.dir, source))}`);
  }
}
const config = join(ENTRIES, 'typedoc.json');
writeFileSync(config, JSON.stringify({ extends: ['../../typedoc.json'], entryPoints: entryPoints.map((e) => `../../${e}`) }, null, 2));
run(bin('typedoc'), ['--options', config, ...process.argv.slice(2)], { cwd: REPO_ROOT });

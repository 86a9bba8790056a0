#!/usr/bin/env node
// Consumer tests: the library packages as a user gets them from npm. Packs every library package
// (after building it), installs the tarballs with npm into fresh projects outside the workspace,
// and checks ESM import, CJS require, TypeScript under moduleResolution node16 and bundler, a
// margin plugin with module augmentation that trains, a single @tensorflow/tfjs-core, the
// README examples, and that @arcface/margins alone pulls in no trainer, sharp or backend.
//
//   node consumer/run.mjs [--keep] [--skip-build]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, buildLibraries, capture, formatBytes, libraryPackages, pack, run } from '../scripts/lib/workspace.mjs';
import { extractExamples } from './readme-examples.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
const keep = args.has('--keep');
const TFJS = '4.22.0';
const started = Date.now();
const results = [];

function step(title) {
  console.log(`\n=== ${title} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

/** Runs one named check; a failure is recorded and the run goes on, so one report lists them all. */
function check(name, fn) {
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name}${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    results.push({ name, ok: false, error });
    console.log(`FAIL  ${name}\n${indent(String(error.stderr || error.stdout || error.message || error))}`);
  }
}

function indent(text) {
  return text.trim().split('\n').slice(0, 60).map((line) => `      ${line}`).join('\n');
}

/** node with arguments, in `cwd`; returns stdout, throws with stderr on failure or after `timeoutMs`. */
function node(cwd, argv, timeoutMs = 300_000) {
  return capture(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
}

/** How long one README example may run: they are meant to be quick to read and to run. */
const EXAMPLE_TIMEOUT_MS = 120_000;

function npmInstall(project, specs) {
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...specs], { cwd: project });
}

function newProject(root, name, type = 'module') {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, version: '0.0.0', type }, null, 2)}\n`);
  return dir;
}

/** Every directory under node_modules that holds package `name` (nested copies included). */
function findInstalled(project, name) {
  const found = [];
  const walk = (modules) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const full = join(modules, entry);
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(full)) visit(join(full, scoped), `${entry}/${scoped}`);
      } else {
        visit(full, entry);
      }
    }
  };
  const visit = (dir, pkgName) => {
    if (pkgName === name && existsSync(join(dir, 'package.json'))) found.push(dir);
    walk(join(dir, 'node_modules'));
  };
  walk(join(project, 'node_modules'));
  return found;
}

/**
 * Runs tsc and returns its errors grouped by file. Errors inside TensorFlow.js' own declaration
 * files (tfjs-core 4.22 refers to an undeclared `Long`; tfjs-layers has strict-mode errors) are
 * theirs, not ours: they are returned apart, so the check can judge our declarations with
 * skipLibCheck off.
 */
function tsc(project, config) {
  const bin = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [bin, '-p', config, '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
  const ours = new Map();
  let tfjs = 0;
  let current;
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    const match = /^(\S[^(]*)\(\d+,\d+\): error/.exec(line);
    if (match) {
      current = match[1].startsWith('node_modules/@tensorflow/') ? undefined : match[1];
      if (current === undefined) tfjs += 1;
      else ours.set(current, [...(ours.get(current) ?? []), line]);
    } else if (current !== undefined && line.trim() !== '') {
      ours.get(current).push(line);
    }
  }
  if (result.status !== 0 && ours.size === 0 && tfjs === 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
  return { ours, tfjs };
}

function reportTypeErrors(errors, files) {
  const lines = [...errors.ours].filter(([file]) => files === undefined || files.includes(file)).flatMap(([, l]) => l);
  if (lines.length > 0) throw new Error(lines.join('\n'));
}

function main() {
  const packages = libraryPackages();
  if (!args.has('--skip-build')) {
    step('build');
    buildLibraries(packages);
  }

  step('pack');
  const root = mkdtempSync(join(tmpdir(), 'arcface-consumer-'));
  const tarballDir = join(root, 'tarballs');
  mkdirSync(tarballDir);
  const tarballs = new Map();
  for (const pkg of packages) {
    const tarball = pack(pkg, tarballDir);
    tarballs.set(pkg.name, tarball);
  }
  const width = Math.max(...packages.map((p) => p.name.length));
  console.log('packed sizes:');
  let total = 0;
  for (const pkg of packages) {
    const size = statSync(tarballs.get(pkg.name)).size;
    total += size;
    console.log(`  ${pkg.name.padEnd(width)}  ${formatBytes(size).padStart(10)}`);
  }
  console.log(`  ${'total'.padEnd(width)}  ${formatBytes(total).padStart(10)}`);

  // --- A project that installs only @arcface/margins (and its own dependencies). ---------------
  step('install @arcface/margins alone');
  const lean = newProject(root, 'margins-only');
  // npm cannot fetch unpublished @arcface/* versions, so every @arcface tarball margins needs is
  // given too; it must still not install the others.
  const leanSpecs = closure(packages, '@arcface/margins').map((name) => tarballs.get(name));
  npmInstall(lean, leanSpecs);
  check('@arcface/margins alone pulls no trainer, data, backbones, backend, sharp or tfjs backend', () => {
    const forbidden = [
      '@arcface/trainer',
      '@arcface/data',
      '@arcface/backbones',
      '@arcface/backend',
      'sharp',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-layers',
    ];
    const present = forbidden.filter((name) => findInstalled(lean, name).length > 0);
    if (present.length > 0) throw new Error(`installed: ${present.join(', ')}`);
    const installed = readdirSync(join(lean, 'node_modules')).filter((e) => !e.startsWith('.'));
    return `node_modules: ${installed.join(', ')}`;
  });
  check('@arcface/margins alone: the peer @tensorflow/tfjs-core is installed once', () => singleTfjsCore(lean));
  npmInstall(lean, [`@tensorflow/tfjs-backend-cpu@${TFJS}`]);
  cpSync(join(HERE, 'fixtures', 'margins-only.mjs'), join(lean, 'margins-only.mjs'));
  check('@arcface/margins alone: loss and tf.grad with only tfjs-core and the cpu backend', () =>
    node(lean, ['margins-only.mjs']).trim(),
  );

  // --- A project that wants only the training loop: no application dependencies. ------------
  step('install @arcface/trainer alone');
  const trainerOnly = newProject(root, 'trainer-only');
  npmInstall(trainerOnly, [
    ...closure(packages, '@arcface/trainer').map((name) => tarballs.get(name)),
    `@tensorflow/tfjs-core@${TFJS}`,
    `@tensorflow/tfjs-layers@${TFJS}`,
  ]);
  check('@arcface/trainer pulls none of the CLI\'s dependencies (sharp, vega, vega-lite, commander, cli-progress)', () => {
    const forbidden = ['@arcface/cli', 'sharp', 'vega', 'vega-lite', 'commander', 'cli-progress'];
    const present = forbidden.filter((name) => findInstalled(trainerOnly, name).length > 0);
    if (present.length > 0) throw new Error(`installed: ${present.join(', ')}`);
    return `${readdirSync(join(trainerOnly, 'node_modules')).filter((e) => !e.startsWith('.')).length} entries in node_modules`;
  });

  // --- A project that installs every library package. -------------------------------------
  step('install every library package');
  const full = newProject(root, 'all-packages');
  npmInstall(full, [
    ...packages.map((p) => tarballs.get(p.name)),
    `@tensorflow/tfjs-core@${TFJS}`,
    `@tensorflow/tfjs-backend-cpu@${TFJS}`,
    `@tensorflow/tfjs-layers@${TFJS}`,
    'typescript@5.9.3',
    '@types/node@20.19.43',
  ]);

  check('@tensorflow/tfjs-core is a single copy (peer dependency honoured)', () => singleTfjsCore(full));
  check('npx arcface --help runs the installed CLI', () => {
    const out = capture('npx', ['--no-install', 'arcface', '--help'], { cwd: full, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    for (const command of ['train', 'eval', 'embed', 'demo']) if (!out.includes(command)) throw new Error(`no '${command}' in the help:\n${out}`);
    return out.split('\n')[0];
  });

  for (const pkg of packages) {
    check(`ESM import ${pkg.name}`, () => {
      const out = node(full, ['--input-type=module', '-e', `const m = await import('${pkg.name}'); console.log(Object.keys(m).sort().join(','));`]);
      const names = out.trim().split(',').filter(Boolean);
      if (names.length === 0) throw new Error('no exports');
      return `${names.length} exports`;
    });
    // The CLI is an ES-module application; the libraries ship CommonJS too.
    if (!hasRequireEntry(pkg)) continue;
    check(`CJS require ${pkg.name}`, () => {
      const esm = node(full, ['--input-type=module', '-e', `const m = await import('${pkg.name}'); console.log(Object.keys(m).filter((k) => k !== 'default').sort().join(','));`]).trim();
      const cjs = node(full, ['-e', `const m = require('${pkg.name}'); console.log(Object.keys(m).filter((k) => k !== 'default').sort().join(','));`]).trim();
      if (cjs.length === 0) throw new Error('no exports');
      if (esm !== cjs) throw new Error(`ESM and CJS exports differ:\n  esm: ${esm}\n  cjs: ${cjs}`);
      return `${cjs.split(',').length} exports, same as ESM`;
    });
  }

  // TypeScript: every package's types, the plugin, the contrib margins and the README examples.
  step('TypeScript');
  cpSync(join(HERE, 'fixtures'), join(full, 'src'), { recursive: true });
  rmSync(join(full, 'src', 'margins-only.mjs'));
  writeFileSync(join(full, 'src', 'all-packages.ts'), allPackagesSource(packages));
  writeFileSync(join(full, 'src', 'all-packages-cjs.cts'), allPackagesCjsSource(packages.filter(hasRequireEntry)));
  const examples = writeReadmeExamples(full, packages);
  const tsconfig = (resolution, module, include, outDir) =>
    JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module,
          moduleResolution: resolution,
          strict: true,
          noEmit: outDir === undefined,
          ...(outDir === undefined ? {} : { outDir, rootDir: 'src' }),
          skipLibCheck: false,
          types: ['node'],
          lib: ['es2022', 'dom'],
        },
        include,
      },
      null,
      2,
    );
  for (const [resolution, module] of [['node16', 'node16'], ['bundler', 'preserve']]) {
    const config = `tsconfig.${resolution}.json`;
    writeFileSync(join(full, config), tsconfig(resolution, module, ['src/*.ts', 'src/*.cts'], resolution === 'node16' ? 'out' : undefined));
    check(`types compile under moduleResolution ${resolution} (skipLibCheck off; all packages, ESM and CJS, plugin, contrib)`, () => {
      const errors = tsc(full, config);
      reportTypeErrors(errors);
      return errors.tfjs > 0 ? `${errors.tfjs} errors inside TensorFlow.js' own .d.ts files ignored` : undefined;
    });
  }
  // README examples: compiled on their own, so each example's type errors fail that example only.
  writeFileSync(join(full, 'tsconfig.readme.json'), tsconfig('node16', 'node16', ['src/readme/*.mts'], 'out'));
  const readmeErrors = examples.length > 0 ? tsc(full, 'tsconfig.readme.json') : { ours: new Map(), tfjs: 0 };

  step('run');
  check('a plugin with module augmentation registers and trains (marginSoftmaxLoss + tf.grad)', () =>
    node(full, ['out/plugin.js']).trim(),
  );
  check('@arcface/margins-contrib: every margin registers, builds by name and trains', () =>
    node(full, ['out/contrib.js']).trim(),
  );
  for (const example of examples) {
    check(`README example ${example.label}: type-checks and runs`, () => {
      reportTypeErrors(readmeErrors, [`src/readme/${example.file}`]);
      node(full, [join('out', 'readme', example.file.replace(/\.mts$/, '.mjs'))], EXAMPLE_TIMEOUT_MS);
      return undefined;
    });
  }
  if (examples.length === 0) console.log('(no README examples found)');

  const failed = results.filter((r) => !r.ok);
  console.log(`\nconsumer: ${results.length - failed.length}/${results.length} checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (keep) console.log(`projects kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
  if (failed.length > 0) {
    for (const f of failed) console.log(`  failed: ${f.name}`);
    process.exit(1);
  }
}

/** `root` and the @arcface packages it depends on, transitively. */
function closure(packages, root) {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const out = new Set();
  const visit = (name) => {
    if (out.has(name) || !byName.has(name)) return;
    out.add(name);
    for (const dep of Object.keys(byName.get(name).manifest.dependencies ?? {})) visit(dep);
  };
  visit(root);
  return [...out];
}

/** Whether the package has a CommonJS entry (`require` condition) besides its ES module. */
function hasRequireEntry(pkg) {
  return pkg.manifest.exports?.['.']?.require !== undefined;
}

function singleTfjsCore(project) {
  const copies = findInstalled(project, '@tensorflow/tfjs-core');
  if (copies.length !== 1) {
    throw new Error(`${copies.length} copies:\n${copies.map((c) => relative(project, c)).join('\n')}`);
  }
  const version = JSON.parse(readFileSync(join(copies[0], 'package.json'), 'utf8')).version;
  return `${relative(project, copies[0])}@${version}`;
}

/** A module that imports each package and touches every export, so a wrong .d.ts fails tsc. */
function allPackagesSource(packages) {
  const lines = packages.map((p, i) => `import * as pkg${i} from '${p.name}';`);
  lines.push('', 'export const exportCounts: Record<string, number> = {');
  packages.forEach((p, i) => lines.push(`  '${p.name}': Object.keys(pkg${i}).length,`));
  lines.push('};', '');
  return lines.join('\n');
}

/** The same from a CommonJS module: `.cts` under node16 resolves the `require` condition's types. */
function allPackagesCjsSource(packages) {
  const lines = packages.map((p, i) => `import pkg${i} = require('${p.name}');`);
  lines.push('', 'export const cjsExportCounts: Record<string, number> = {');
  packages.forEach((p, i) => lines.push(`  '${p.name}': Object.keys(pkg${i}).length,`));
  lines.push('};', '');
  return lines.join('\n');
}

/** Writes the ```ts blocks of every library package's README as modules; returns them. */
function writeReadmeExamples(project, packages) {
  const dir = join(project, 'src', 'readme');
  mkdirSync(dir, { recursive: true });
  const out = [];
  for (const pkg of packages) {
    const readme = join(pkg.dir, 'README.md');
    if (!existsSync(readme)) {
      console.log(`(no README.md in ${relative(REPO_ROOT, pkg.dir)}: skipped)`);
      continue;
    }
    for (const example of extractExamples(readFileSync(readme, 'utf8'))) {
      const file = `${pkg.name.replace('@arcface/', '')}-${example.index}.mts`;
      writeFileSync(join(dir, file), example.code);
      out.push({ file, label: `${pkg.name} #${example.index} (README.md line ${example.line})` });
    }
  }
  return out;
}

main();

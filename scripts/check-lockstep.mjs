#!/usr/bin/env node
// Proves that the library packages are versioned in lockstep: a changeset that names a single
// package bumps every library package to the same new version, with a changelog entry each.
// `changeset version` rewrites files, so it runs in a temporary copy of the workspace's
// manifests, never in the real tree.
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT, fixedGroup, libraryPackages, readJson, run } from './lib/workspace.mjs';

const require = createRequire(import.meta.url);
const changesetBin = require.resolve('@changesets/cli/bin.js', { paths: [REPO_ROOT] });

/** Where each workspace package lives (the globs of pnpm-workspace.yaml, read simply). */
function workspaceManifests() {
  const yaml = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s*-\s*['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1]);
  const dirs = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = join(REPO_ROOT, glob.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent)) dirs.push(join(parent, entry));
    } else {
      dirs.push(join(REPO_ROOT, glob));
    }
  }
  return dirs.filter((dir) => existsSync(join(dir, 'package.json')));
}

/** Copies what `changeset version` reads: manifests, changelogs, the workspace file, the config. */
function makeCopy() {
  const copy = mkdtempSync(join(tmpdir(), 'arcface-lockstep-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(REPO_ROOT, file), join(copy, file));
  mkdirSync(join(copy, '.changeset'));
  cpSync(join(REPO_ROOT, '.changeset', 'config.json'), join(copy, '.changeset', 'config.json'));
  for (const dir of workspaceManifests()) {
    const target = join(copy, relative(REPO_ROOT, dir));
    mkdirSync(target, { recursive: true });
    for (const file of ['package.json', 'CHANGELOG.md']) {
      if (existsSync(join(dir, file))) cpSync(join(dir, file), join(target, file));
    }
  }
  return copy;
}

function bump(version, type) {
  const [major, minor, patch] = version.split('.').map(Number);
  if (type === 'major') return `${major + 1}.0.0`;
  if (type === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** One scenario: a `type` changeset naming only `pkg`; every library package must follow. */
function scenario(pkg, type) {
  const libraries = libraryPackages();
  const before = new Map(libraries.map((p) => [p.name, p.version]));
  const highest = [...before.values()].sort((a, b) => (a.localeCompare(b, undefined, { numeric: true }))).at(-1);
  const expected = bump(highest, type);
  const copy = makeCopy();
  const failures = [];
  try {
    const summary = `Lockstep check: ${type} change in ${pkg}`;
    writeFileSync(join(copy, '.changeset', 'lockstep-check.md'), `---\n'${pkg}': ${type}\n---\n\n${summary}\n`);
    run(process.execPath, [changesetBin, 'version'], { cwd: copy, stdio: ['ignore', 'ignore', 'inherit'] });
    for (const lib of libraries) {
      const dir = join(copy, relative(REPO_ROOT, lib.dir));
      const after = readJson(join(dir, 'package.json')).version;
      if (after !== expected) failures.push(`${lib.name}: ${before.get(lib.name)} -> ${after}, expected ${expected}`);
      const changelogPath = join(dir, 'CHANGELOG.md');
      const changelog = existsSync(changelogPath) ? readFileSync(changelogPath, 'utf8') : '';
      if (!changelog.includes(`## ${expected}`)) failures.push(`${lib.name}: CHANGELOG.md has no '## ${expected}' section`);
      if (lib.name === pkg && !changelog.includes(summary)) failures.push(`${lib.name}: CHANGELOG.md lacks the summary`);
    }
    // Private packages (test helpers, apps) are not released and must not move.
    for (const dir of workspaceManifests()) {
      const original = readJson(join(dir, 'package.json'));
      if (!original.private) continue;
      const after = readJson(join(copy, relative(REPO_ROOT, dir), 'package.json'));
      if (after.version !== original.version) failures.push(`${original.name} is private but moved ${original.version} -> ${after.version}`);
    }
    if (existsSync(join(copy, '.changeset', 'lockstep-check.md'))) failures.push('the changeset file was not consumed');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  return { pkg, type, expected, libraries: libraries.length, failures };
}

function main() {
  const libraries = libraryPackages();
  const group = fixedGroup();
  const outside = libraries.filter((p) => !group.includes(p.name)).map((p) => p.name);
  const stale = group.filter((name) => !libraries.some((p) => p.name === name));
  let failed = false;
  if (outside.length > 0) {
    console.error(`lockstep: not in the fixed group of .changeset/config.json: ${outside.join(', ')}`);
    failed = true;
  }
  if (stale.length > 0) console.warn(`lockstep: fixed group names packages not found (yet): ${stale.join(', ')}`);
  const last = libraries.at(-1)?.name ?? '@arcface/core';
  for (const [pkg, type] of [['@arcface/margins', 'patch'], [last, 'minor']]) {
    const result = scenario(pkg, type);
    if (result.failures.length > 0) {
      failed = true;
      console.error(`lockstep: a ${type} changeset on ${pkg} did not bump all packages to ${result.expected}:`);
      for (const failure of result.failures) console.error(`  - ${failure}`);
    } else {
      console.log(`lockstep: a ${type} changeset on ${pkg} bumped all ${result.libraries} library packages to ${result.expected}`);
    }
  }
  if (failed) process.exit(1);
}

main();

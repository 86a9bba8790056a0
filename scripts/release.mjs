#!/usr/bin/env node
// Cuts a release of every library package, or rehearses one with --dry-run:
//   1. the lockstep check (a changeset bumps every library package together),
//   2. build (turbo, every library package and what it depends on),
//   3. pnpm pack into a temporary folder (workspace: ranges become real versions),
//   4. publint --strict on each tarball,
//   5. attw on each tarball (types resolve for node10, node16 CJS and ESM, bundler),
//   6. a table of tarball sizes,
//   7. without --dry-run only: `changeset publish` (npm credentials needed), then `git push --follow-tags`
//      is left to the maintainer (see docs/releasing.md).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, bin, buildLibraries, capture, formatBytes, libraryPackages, pack, run } from './lib/workspace.mjs';
import { strayFiles } from './lib/pack-contents.mjs';

const args = new Set(process.argv.slice(2));
const dryRun = args.has('--dry-run');
const keep = args.has('--keep');
for (const arg of args) {
  if (!['--dry-run', '--keep'].includes(arg)) {
    console.error(`release: unknown argument ${arg} (known: --dry-run, --keep)`);
    process.exit(2);
  }
}

function step(title) {
  console.log(`\n=== ${title}`);
}

function main() {
  const packages = libraryPackages();
  console.log(`release${dryRun ? ' (dry run: nothing is published)' : ''}: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);

  step('lockstep versions');
  run(process.execPath, [join(REPO_ROOT, 'scripts', 'check-lockstep.mjs')]);

  step('build');
  buildLibraries(packages);

  step('pack');
  const dest = mkdtempSync(join(tmpdir(), 'arcface-release-'));
  const tarballs = [];
  for (const pkg of packages) {
    const tarball = pack(pkg, dest);
    tarballs.push({ pkg, tarball, size: statSync(tarball).size });
  }

  const problems = [];
  step('publint --strict (on each tarball)');
  for (const { pkg, tarball } of tarballs) {
    try {
      run(bin('publint'), ['run', tarball, '--strict'], { cwd: REPO_ROOT });
    } catch (error) {
      problems.push(`${pkg.name}: publint: ${error.message}`);
    }
  }

  step('what each tarball holds (no tests, fixtures, experiments or scripts)');
  for (const { pkg, tarball } of tarballs) {
    const stray = strayFiles(capture('tar', ['-tzf', tarball]).split('\n').filter(Boolean));
    if (stray.length > 0) problems.push(`${pkg.name}: ships files users never need: ${stray.slice(0, 8).join(', ')}${stray.length > 8 ? ` and ${stray.length - 8} more` : ''}`);
    else console.log(`ok    ${pkg.name}`);
  }

  step('attw (are the types wrong?)');
  for (const { pkg, tarball } of tarballs) {
    try {
      // The CLI is an ES-module application with no CommonJS entry: judge it as one.
      const profile = pkg.manifest.exports?.['.']?.require === undefined ? ['--profile', 'esm-only'] : [];
      run(bin('attw'), [tarball, '--format', 'table-flipped', '--no-emoji', '--no-color', ...profile], { cwd: REPO_ROOT });
    } catch (error) {
      problems.push(`${pkg.name}: attw: ${error.message}`);
    }
  }

  step('tarballs');
  const width = Math.max(...tarballs.map((t) => t.pkg.name.length));
  let total = 0;
  for (const { pkg, tarball, size } of tarballs) {
    total += size;
    console.log(`${pkg.name.padEnd(width)}  ${pkg.version.padEnd(8)}  ${formatBytes(size).padStart(10)}  ${tarball}`);
  }
  console.log(`${'total'.padEnd(width)}  ${''.padEnd(8)}  ${formatBytes(total).padStart(10)}`);

  if (problems.length > 0) {
    console.error(`\nrelease: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  if (dryRun) {
    console.log('\nrelease: dry run passed; nothing published.');
    if (!keep) rmSync(dest, { recursive: true, force: true });
    else console.log(`tarballs kept in ${dest}`);
    return;
  }
  rmSync(dest, { recursive: true, force: true });
  step('publish');
  run(bin('changeset'), ['publish'], { cwd: REPO_ROOT });
}

main();

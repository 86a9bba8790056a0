// Facts about the workspace shared by the release, lockstep and consumer scripts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Reads and parses a JSON file. */
export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * The published packages: every `packages/*` whose package.json is not private. The order is the
 * dependency order (a package after the packages it depends on), so installs and packs are stable.
 */
export function libraryPackages(root = REPO_ROOT) {
  const dir = join(root, 'packages');
  const found = [];
  for (const entry of readdirSync(dir).sort()) {
    const manifestPath = join(dir, entry, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = readJson(manifestPath);
    if (manifest.private) continue;
    found.push({ name: manifest.name, version: manifest.version, dir: join(dir, entry), manifest });
  }
  return topologicalOrder(found);
}

function topologicalOrder(packages) {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const done = new Set();
  const out = [];
  const visit = (p, trail) => {
    if (done.has(p.name)) return;
    if (trail.includes(p.name)) throw new Error(`dependency cycle: ${[...trail, p.name].join(' -> ')}`);
    const deps = { ...p.manifest.dependencies, ...p.manifest.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const target = byName.get(dep);
      if (target) visit(target, [...trail, p.name]);
    }
    done.add(p.name);
    out.push(p);
  };
  for (const p of packages) visit(p, []);
  return out;
}

/** The changesets `fixed` group that holds `@arcface/core` (the lockstep group). */
export function fixedGroup(root = REPO_ROOT) {
  const config = readJson(join(root, '.changeset', 'config.json'));
  const group = (config.fixed ?? []).find((g) => g.includes('@arcface/core'));
  return group ?? [];
}

/** Runs a command, streaming its output; throws with the command line when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' failed with exit code ${result.status}`);
  }
}

/** Runs a command and returns its stdout (stderr passes through). */
export function capture(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

/** A path under the root's node_modules/.bin, so scripts never depend on PATH. */
export function bin(name) {
  return join(REPO_ROOT, 'node_modules', '.bin', name);
}

/** Human-readable byte count. */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/**
 * Packs `pkg` with pnpm into `dest` (pnpm turns `workspace:` ranges into the real versions, as
 * `pnpm publish` does); returns the tarball's path.
 */
export function pack(pkg, dest) {
  const before = new Set(readdirSync(dest));
  capture('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir });
  const made = readdirSync(dest).filter((f) => !before.has(f) && f.endsWith('.tgz'));
  if (made.length !== 1) throw new Error(`pnpm pack in ${pkg.dir} made ${made.length} tarballs`);
  return join(dest, made[0]);
}

/** Builds every library package (and what each depends on) with turbo. */
export function buildLibraries(packages = libraryPackages()) {
  run(bin('turbo'), ['run', 'build', '--output-logs=errors-only', ...packages.map((p) => `--filter=${p.name}`)], {
    cwd: REPO_ROOT,
  });
}

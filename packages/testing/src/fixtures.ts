import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, found from this file (packages/testing/src). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Golden reference files, made in float64 by `packages/testing/generators` (see its README). */
export const GOLDEN_DIR = join(REPO_ROOT, 'packages', 'testing', 'fixtures', 'golden');

export function goldenPath(...parts: string[]): string {
  return join(GOLDEN_DIR, ...parts);
}

export function readGolden<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(goldenPath(name), 'utf8')) as T;
}

/**
 * The real face sets live beside the repository (`../shared/data`), never inside it.
 * `ARCFACE_SHARED_DATA` overrides the place. Returns undefined when absent, so a test can skip and say so.
 */
export function sharedDataDir(): string | undefined {
  const dir = process.env.ARCFACE_SHARED_DATA ?? join(REPO_ROOT, '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server with pgvector for the server tests, or null (then they skip). */
    pgUrl: string | null;
    /** Why there is no server, said once by each skipped suite. */
    pgSkipReason: string;
  }
}

const script = fileURLToPath(new URL('../../../scripts/ci/postgres.sh', import.meta.url));

/**
 * The server tests run against ARCFACE_PG_URL when it is set (CI, or a user's own server);
 * otherwise a throw-away server is started with scripts/ci/postgres.sh where PostgreSQL 15 and
 * the vendored pgvector source are present, and stopped afterwards.
 */
export default function setup(project: TestProject): () => void {
  const given = process.env.ARCFACE_PG_URL;
  if (given !== undefined && given !== '') {
    project.provide('pgUrl', given);
    project.provide('pgSkipReason', '');
    return () => {};
  }
  let url: string;
  try {
    url = execFileSync('bash', [script, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
    const reason = `server tests skipped: ARCFACE_PG_URL is not set and no throw-away PostgreSQL could be started (${stderr})`;
    console.warn(reason);
    project.provide('pgUrl', null);
    project.provide('pgSkipReason', reason);
    return () => {};
  }
  project.provide('pgUrl', url);
  project.provide('pgSkipReason', '');
  return () => {
    execFileSync('bash', [script, 'stop', url], { stdio: 'inherit' });
  };
}

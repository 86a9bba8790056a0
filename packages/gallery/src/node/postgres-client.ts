import pg from 'pg';
import { ArcfaceError } from '@arcface/core';
import { GalleryConnectionError, GalleryQueryError } from '../errors';
import { redactConnectionString } from '../redact-connection-string';
import type { SqlClient, SqlQueryable } from '../sql-client';

/** Options of {@link openPostgresClient}. */
export interface PostgresClientOptions {
  /** Connections in the pool (identify and enrol calls run side by side up to this). Default 4. */
  maxConnections?: number;
  /** Milliseconds to wait for a connection before `GalleryConnectionError`. Default 10,000. */
  connectTimeoutMs?: number;
}

// SQLSTATE classes and socket errors that mean "the server is gone", not "the statement is wrong".
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '3D000', '28P01', '28000']);

function isConnectionFailure(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code !== undefined && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e?.message ?? '');
}

function isDatabaseError(error: unknown): boolean {
  return isConnectionFailure(error) || (error as { severity?: unknown })?.severity !== undefined;
}

/**
 * A PostgreSQL server (with the `vector` extension available) through node-postgres. The pool
 * connects on first use; the connection string is only ever printed with its password hidden.
 */
export async function openPostgresClient(connectionString: string, options: PostgresClientOptions = {}): Promise<SqlClient> {
  const location = redactConnectionString(connectionString);
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client losing its server emits on the pool; without a listener Node would crash.
  pool.on('error', () => {});
  const translate = (error: unknown): Error => {
    const message = (error as Error).message ?? String(error);
    if (isConnectionFailure(error)) {
      return new GalleryConnectionError(`PostgreSQL at ${location} is unreachable (${message}); check that the server runs and the URL is right`, { cause: error });
    }
    return new GalleryQueryError(`PostgreSQL at ${location}: ${message}`, { cause: error });
  };
  const asQueryable = (run: pg.Pool | pg.PoolClient): SqlQueryable => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      try {
        return (await run.query(text, params as unknown[])).rows as Row[];
      } catch (error) {
        throw translate(error);
      }
    },
  });
  return {
    kind: 'postgres',
    location,
    ...asQueryable(pool),
    async transaction(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translate(error);
      }
      let broken = false;
      // A checked-out client whose server goes away emits 'error' on itself (not on the pool):
      // without a listener Node would crash; the failing query reports it, and the client is
      // not handed back.
      const lost = (): void => {
        broken = true;
      };
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const result = await work(asQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself failed: do not hand it back to the pool
        }
        throw error instanceof ArcfaceError || !isDatabaseError(error) ? error : translate(error);
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

import type { PGlite } from '@electric-sql/pglite';
import { GalleryConnectionError, GalleryQueryError } from './errors';
import type { SqlClient, SqlQueryable } from './sql-client';

/** Options of {@link openPGliteClient}. */
export interface PGliteClientOptions {
  /**
   * Where PGlite keeps its files: undefined or `'memory://'` for memory only, a folder path in
   * Node, `'idb://name'` (IndexedDB) in a browser.
   */
  dataDir?: string;
}

/**
 * PostgreSQL in process (PGlite, WebAssembly) with its pgvector extension. The extension build
 * matches exactly one PGlite version, which is why both are pinned in this package.
 */
export async function openPGliteClient(options: PGliteClientOptions = {}): Promise<SqlClient> {
  const location = options.dataDir === undefined || options.dataDir === 'memory://' ? 'memory://' : options.dataDir;
  // Loaded on demand: a caller that only talks to a server never pays for the WebAssembly module.
  const [{ PGlite }, { vector }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector')]);
  let db: PGlite;
  try {
    db = await PGlite.create({ ...(location === 'memory://' ? {} : { dataDir: location }), extensions: { vector } });
  } catch (error) {
    throw new GalleryConnectionError(
      `PGlite could not open a database at ${location} (${(error as Error).message}); pass a writable folder, or none for memory`,
      { cause: error },
    );
  }
  const asQueryable = (run: Pick<PGlite, 'query'>): SqlQueryable => ({
    async query<Row>(text: string, params: readonly unknown[] = []) {
      try {
        return (await run.query<Row>(text, params as unknown[])).rows;
      } catch (error) {
        throw new GalleryQueryError(`PGlite at ${location}: ${(error as Error).message}`, { cause: error });
      }
    },
  });
  return {
    kind: 'pglite',
    location,
    ...asQueryable(db),
    transaction: (work) => db.transaction((tx) => work(asQueryable(tx))),
    close: () => db.close(),
  };
}

/** What a gallery needs from a database connection: parameterised queries and transactions. */
export interface SqlQueryable {
  /** Runs one statement; `params` are bound as `$1`, `$2`, … (never spliced into the text). */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * A connection to PostgreSQL with pgvector (PGlite in process, or a server). Its errors are the
 * gallery's: unreachable databases throw `GalleryConnectionError`.
 */
export interface SqlClient extends SqlQueryable {
  /** `'pglite'` or `'postgres'`. */
  readonly kind: string;
  /** Where the database is, safe to print (no password). */
  readonly location: string;
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

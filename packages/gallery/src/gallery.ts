import { InvalidArgumentError } from '@arcface/core';
import { type EmbeddingInput, toUnitVectorLiteral } from './embedding';
import { GalleryClosedError, GalleryConnectionError, GalleryQueryError, ModelMismatchError, UnknownIdentityError } from './errors';
import { GallerySchema, type HnswIndexOptions, resolveIndexOptions } from './schema';
import type { SqlClient } from './sql-client';

/** The model whose embeddings a gallery holds. */
export interface GalleryModel {
  /**
   * A stable identifier of the model's weights (for example a SHA-256 of the weights file). A
   * gallery records it when created and refuses to open for another model.
   */
  fingerprint: string;
  /** Embedding length. */
  dimension: number;
}

/** Options of {@link createGallery} (and of `openGallery`). */
export interface GalleryOptions {
  model: GalleryModel;
  /** Table name (several galleries can share one database). Default `'arcface_gallery'`. */
  table?: string;
  /**
   * The HNSW index made with a new gallery, or `false` for none (bulk loads build it afterwards
   * with `buildIndex`, which is faster than growing it row by row). Ignored for an existing
   * gallery, except that options that contradict its index are refused.
   */
  index?: HnswIndexOptions | false;
  /**
   * Default `hnsw.ef_search` of `identify`: higher is slower and closer to exact. Default
   * {@link DEFAULT_EF_SEARCH} (100), not pgvector's 40: at 40, the index's top-1 agreed with
   * exact search for only 97.5% of probes among 10,000 random 128-d distractors (100% at 200).
   */
  efSearch?: number;
}

/** One face to enrol. */
export interface Enrolment {
  identity: string;
  embedding: EmbeddingInput;
  /** Anything JSON (a file name, a capture date); returned by nothing, kept for the caller. */
  metadata?: Record<string, unknown> | null;
}

/** One candidate of `identify`: an identity and the cosine of its closest enrolled embedding. */
export interface Match {
  identity: string;
  score: number;
}

/** Options of `identify`. */
export interface IdentifyOptions {
  /** Identities to return (distinct, best first). Default 5. */
  k?: number;
  /** Scan every row instead of the HNSW index: exact, and slower in proportion to the gallery. */
  exact?: boolean;
  /** `hnsw.ef_search` for this query (at least `k` is used). */
  efSearch?: number;
}

/** Result of `verify`. */
export interface Verification {
  identity: string;
  /** Cosine with the identity's closest enrolled embedding. */
  score: number;
  /** How many embeddings the identity has. */
  enrolled: number;
}

/** Result of `count`. */
export interface GalleryCount {
  embeddings: number;
  identities: number;
}

/**
 * Enrolment, identification and verification over one table of unit-length embeddings in
 * PostgreSQL + pgvector. Cosine similarity is the inner product of unit vectors, so the index is
 * HNSW with `vector_ip_ops` (or `halfvec_ip_ops`).
 */
export interface Gallery {
  /** Where the database is, safe to print. */
  readonly location: string;
  readonly table: string;
  readonly model: Readonly<GalleryModel>;
  /** `hnsw.ef_search` of `identify` when a call does not set its own. */
  readonly efSearch: number;
  /** The HNSW index now in place, or null. */
  readonly index: Readonly<Required<HnswIndexOptions>> | null;
  /**
   * Adds faces in one transaction: either all are written or, on any error (a wrong dimension,
   * a NaN, a statement the database refuses), none. Returns how many were written.
   */
  enrol(entries: readonly Enrolment[]): Promise<number>;
  /** The `k` enrolled identities closest to `embedding`, best first, with their cosine scores. */
  identify(embedding: EmbeddingInput, options?: IdentifyOptions): Promise<Match[]>;
  /** The cosine between `embedding` and `identity`'s closest enrolled embedding (exact). */
  verify(embedding: EmbeddingInput, identity: string): Promise<Verification>;
  /** Removes every embedding of `identity`; returns how many. */
  remove(identity: string): Promise<number>;
  count(): Promise<GalleryCount>;
  /** Builds the HNSW index (again, if options differ from the present one). */
  buildIndex(options?: HnswIndexOptions): Promise<void>;
  /** Drops the HNSW index (before a bulk load); `identify` then scans. */
  dropIndex(): Promise<void>;
  /** Closes the connection; later calls throw `GalleryClosedError`. */
  close(): Promise<void>;
  /** Deletes the gallery's tables (every embedding, the model record, the index), then closes. */
  drop(): Promise<void>;
}

interface MetaRow {
  model_fingerprint: string;
  dimension: number;
  index_options: Required<HnswIndexOptions> | null;
}

/** The gallery's default `hnsw.ef_search` (pgvector's own default is 40). */
export const DEFAULT_EF_SEARCH = 100;

// Rows per INSERT: 3 parameters each, far below PostgreSQL's 65,535 bound parameters.
const ROWS_PER_STATEMENT = 256;

function checkIdentity(identity: unknown, where: string): string {
  if (typeof identity !== 'string' || identity.length === 0) {
    throw new InvalidArgumentError(`${where}: identity must be a non-empty string, got ${JSON.stringify(identity)}`);
  }
  return identity;
}

function checkPositiveInteger(value: number, name: string, where: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new InvalidArgumentError(`${where}: ${name} must be an integer in [1, 1000], got ${value}`);
  return value;
}

/**
 * Runs a read once more when its connection failed: a pooled connection the server has closed
 * (a restart, an idle timeout) is only noticed when used, and the pool replaces it. Reads
 * only: a write whose COMMIT may or may not have landed is not repeated.
 */
async function readWithRetry<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof GalleryConnectionError)) throw error;
    return read();
  }
}

/**
 * A gallery on an open {@link SqlClient}: creates the tables (and index) on first use, or checks
 * that an existing gallery was made for the same model. The gallery owns the client: `close()`
 * closes it.
 */
export async function createGallery(client: SqlClient, options: GalleryOptions): Promise<Gallery> {
  const { model } = options;
  if (model === undefined || typeof model.fingerprint !== 'string' || model.fingerprint.length === 0) {
    throw new InvalidArgumentError('openGallery: model.fingerprint must be a non-empty string (for example a hash of the weights)');
  }
  const schema = new GallerySchema(options.table ?? 'arcface_gallery', model.dimension);
  const efSearchDefault = checkPositiveInteger(options.efSearch ?? DEFAULT_EF_SEARCH, 'efSearch', 'openGallery');
  const wanted = options.index === false ? null : resolveIndexOptions(options.index);

  let meta: MetaRow;
  try {
    meta = await client.transaction(async (tx) => {
      // Two processes opening a new gallery at once would race on CREATE TABLE IF NOT EXISTS.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema.faces]);
      for (const statement of schema.createStatements()) await tx.query(statement);
      const [existing] = await tx.query<MetaRow>(`SELECT model_fingerprint, dimension, index_options FROM ${schema.meta}`);
      if (existing !== undefined) return existing;
      if (wanted !== null) await tx.query(schema.createIndexStatement(wanted));
      await tx.query(`INSERT INTO ${schema.meta} (model_fingerprint, dimension, index_options) VALUES ($1, $2, $3::jsonb)`, [
        model.fingerprint,
        model.dimension,
        wanted === null ? null : JSON.stringify(wanted),
      ]);
      return { model_fingerprint: model.fingerprint, dimension: model.dimension, index_options: wanted };
    });
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  if (meta.model_fingerprint !== model.fingerprint || meta.dimension !== model.dimension) {
    await client.close().catch(() => {});
    throw new ModelMismatchError(
      `gallery '${schema.table}' at ${client.location} holds embeddings of model ${meta.model_fingerprint} (${meta.dimension}-d), ` +
        `not of ${model.fingerprint} (${model.dimension}-d); use that model, or another table or database for this one`,
    );
  }
  if (options.index !== undefined && options.index !== false && meta.index_options !== null) {
    const asked = resolveIndexOptions(options.index);
    const have = meta.index_options;
    if (asked.m !== have.m || asked.efConstruction !== have.efConstruction || asked.precision !== have.precision) {
      await client.close().catch(() => {});
      throw new InvalidArgumentError(
        `openGallery: gallery '${schema.table}' has an index with ${JSON.stringify(have)}, not ${JSON.stringify(asked)}; open it without index options and call buildIndex to change it`,
      );
    }
  }

  let index = meta.index_options;
  let closed = false;
  const open = (operation: string) => {
    if (closed) throw new GalleryClosedError(client.location, operation);
  };
  const { faces } = schema;

  const gallery: Gallery = {
    location: client.location,
    table: schema.table,
    model: { fingerprint: model.fingerprint, dimension: model.dimension },
    efSearch: efSearchDefault,
    get index() {
      return index;
    },

    async enrol(entries) {
      open('enrol');
      if (!Array.isArray(entries)) throw new InvalidArgumentError(`gallery.enrol: expected an array of { identity, embedding }, got ${typeof entries}`);
      // Everything is checked before the first statement, so bad input never opens a transaction.
      const rows = entries.map((entry, i) => {
        const where = `gallery.enrol: entry ${i}`;
        const identity = checkIdentity(entry?.identity, where);
        const literal = toUnitVectorLiteral(entry.embedding, model.dimension, `${where} (${JSON.stringify(identity)})`);
        const metadata = entry.metadata === undefined || entry.metadata === null ? null : JSON.stringify(entry.metadata);
        return [identity, literal, metadata] as const;
      });
      if (rows.length === 0) return 0;
      await client.transaction(async (tx) => {
        for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
          const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
          const values = chunk.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}::vector(${model.dimension}), $${3 * j + 3}::jsonb)`);
          try {
            await tx.query(`INSERT INTO ${faces} (identity, embedding, metadata) VALUES ${values.join(', ')}`, chunk.flat());
          } catch (error) {
            if (error instanceof GalleryQueryError) {
              throw new GalleryQueryError(
                `gallery.enrol: the database refused entries ${start}–${start + chunk.length - 1} (${error.message}); the whole batch of ${rows.length} was rolled back`,
                { cause: error },
              );
            }
            throw error;
          }
        }
      });
      return rows.length;
    },

    async identify(embedding, identifyOptions = {}) {
      open('identify');
      const k = checkPositiveInteger(identifyOptions.k ?? 5, 'k', 'gallery.identify');
      const literal = toUnitVectorLiteral(embedding, model.dimension, 'gallery.identify');
      const vector = `$1::vector(${model.dimension})`;
      if (identifyOptions.exact === true || index === null) {
        // Every row, grouped by identity: exact whatever the gallery's shape. Index scans are
        // turned off so the planner cannot answer from the (approximate) HNSW graph.
        return readWithRetry(() => client.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_indexscan = off');
          const rows = await tx.query<Match>(
            `SELECT identity, max(-(embedding <#> ${vector})) AS score FROM ${faces} GROUP BY identity ORDER BY score DESC, identity COLLATE "C" LIMIT $2`,
            [literal, k],
          );
          return rows.map((r) => ({ identity: r.identity, score: Number(r.score) }));
        }));
      }
      const efSearch = Math.min(1000, Math.max(k, checkPositiveInteger(identifyOptions.efSearch ?? efSearchDefault, 'efSearch', 'gallery.identify')));
      const half = index.precision === 'half';
      // The index ranks by the indexed expression; each candidate is rescored at full precision
      // (a halfvec index only ranks). The halfvec copy of the probe is its own parameter: one
      // parameter cast two ways would be typed once, and the float32 score would be rounded.
      const order = half ? `(embedding::halfvec(${model.dimension})) <#> $3::halfvec(${model.dimension})` : `embedding <#> ${vector}`;
      const sql = `SELECT identity, -(embedding <#> ${vector}) AS score FROM ${faces} ORDER BY ${order} LIMIT $2`;
      return readWithRetry(() => client.transaction(async (tx) => {
        // Transaction-local settings, in one round trip (set_config(…, true) is SET LOCAL):
        // - ef_search, the candidate list of the graph search;
        // - an iterative scan (pgvector ≥ 0.8): several rows may share an identity, so k
        //   identities can need more than ef_search rows, and the scan keeps walking the graph
        //   in order when asked for more;
        // - no sequential scan: on a small table the planner would rather scan it, and the index
        //   path must be the index.
        await tx.query(
          "SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true), set_config('enable_seqscan', 'off', true)",
          [String(efSearch)],
        );
        for (let limit = efSearch; ; limit *= 4) {
          const rows = await tx.query<Match>(sql, half ? [literal, limit, literal] : [literal, limit]);
          const best = new Map<string, number>();
          for (const r of rows) {
            const score = Number(r.score);
            if (!(best.get(r.identity)! >= score)) best.set(r.identity, score);
          }
          if (best.size >= k || rows.length < limit) {
            return [...best.entries()]
              .map(([identity, score]) => ({ identity, score }))
              .sort((a, b) => b.score - a.score || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0))
              .slice(0, k);
          }
        }
      }));
    },

    async verify(embedding, identity) {
      open('verify');
      checkIdentity(identity, 'gallery.verify');
      const literal = toUnitVectorLiteral(embedding, model.dimension, 'gallery.verify');
      const [row] = await readWithRetry(() => client.query<{ score: number | null; enrolled: number }>(
        `SELECT max(-(embedding <#> $1::vector(${model.dimension}))) AS score, count(*)::integer AS enrolled FROM ${faces} WHERE identity = $2`,
        [literal, identity],
      ));
      if (row === undefined || row.score === null || row.enrolled === 0) throw new UnknownIdentityError(identity, schema.table);
      return { identity, score: Number(row.score), enrolled: row.enrolled };
    },

    async remove(identity) {
      open('remove');
      checkIdentity(identity, 'gallery.remove');
      const rows = await client.query<{ id: string }>(`DELETE FROM ${faces} WHERE identity = $1 RETURNING id`, [identity]);
      if (rows.length === 0) throw new UnknownIdentityError(identity, schema.table);
      return rows.length;
    },

    async count() {
      open('count');
      const [row] = await readWithRetry(() => client.query<{ embeddings: number; identities: number }>(
        `SELECT count(*)::integer AS embeddings, count(DISTINCT identity)::integer AS identities FROM ${faces}`,
      ));
      return { embeddings: row?.embeddings ?? 0, identities: row?.identities ?? 0 };
    },

    async buildIndex(indexOptions) {
      open('buildIndex');
      const next = resolveIndexOptions(indexOptions ?? index ?? {});
      await client.transaction(async (tx) => {
        if (index !== null) await tx.query(`DROP INDEX IF EXISTS ${schema.index}`);
        await tx.query(schema.createIndexStatement(next));
        await tx.query(`UPDATE ${schema.meta} SET index_options = $1::jsonb`, [JSON.stringify(next)]);
      });
      index = next;
    },

    async dropIndex() {
      open('dropIndex');
      await client.transaction(async (tx) => {
        await tx.query(`DROP INDEX IF EXISTS ${schema.index}`);
        await tx.query(`UPDATE ${schema.meta} SET index_options = NULL`);
      });
      index = null;
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },

    async drop() {
      open('drop');
      await client.transaction(async (tx) => {
        await tx.query(`DROP TABLE IF EXISTS ${faces}`);
        await tx.query(`DROP TABLE IF EXISTS ${schema.meta}`);
      });
      await gallery.close();
    },
  };
  return gallery;
}

import { InvalidArgumentError } from '@arcface/core';

/** How the HNSW index stores vectors: `'single'` (float32, `vector`) or `'half'` (float16, `halfvec`). */
export type IndexPrecision = 'single' | 'half';

/** HNSW build settings (pgvector's defaults: m 16, ef_construction 64). */
export interface HnswIndexOptions {
  /** Links per node. Default 16. */
  m?: number;
  /** Candidate list while building. Default 64. */
  efConstruction?: number;
  /**
   * `'half'` indexes `embedding::halfvec`, half the index size at about the same recall, for
   * galleries whose index no longer fits in memory; the table keeps float32, so scores and
   * exact search stay full precision. Default `'single'`.
   */
  precision?: IndexPrecision;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Names and statements of one gallery. Table names cannot be bound as parameters, so they are
 * checked against a strict pattern instead; every value goes through `$n` parameters.
 */
export class GallerySchema {
  readonly faces: string;
  readonly meta: string;
  readonly index: string;
  readonly identityIndex: string;

  constructor(readonly table: string, readonly dimension: number) {
    if (!TABLE_NAME.test(table)) {
      throw new InvalidArgumentError(`openGallery: table ${JSON.stringify(table)} must match ${TABLE_NAME} (lower-case letters, digits, underscores)`);
    }
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16000) {
      throw new InvalidArgumentError(`openGallery: model.dimension must be an integer in [1, 16000] (pgvector's vector), got ${dimension}`);
    }
    // Quoted, so a name that is also an SQL keyword ('user', 'cross') still works.
    this.faces = `"${table}"`;
    this.meta = `"${table}_meta"`;
    this.index = `"${table}_hnsw"`;
    this.identityIndex = `"${table}_identity"`;
  }

  /** The vector type a query is cast to: it must be the indexed expression's type to use the index. */
  searchExpression(precision: IndexPrecision): { column: string; param: string } {
    return precision === 'half'
      ? { column: `(embedding::halfvec(${this.dimension}))`, param: `$1::halfvec(${this.dimension})` }
      : { column: 'embedding', param: `$1::vector(${this.dimension})` };
  }

  createStatements(): string[] {
    return [
      'CREATE EXTENSION IF NOT EXISTS vector',
      `CREATE TABLE IF NOT EXISTS ${this.meta} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        model_fingerprint text NOT NULL,
        dimension integer NOT NULL,
        index_options jsonb,
        created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS ${this.faces} (
        id bigserial PRIMARY KEY,
        identity text NOT NULL CHECK (identity <> ''),
        embedding vector(${this.dimension}) NOT NULL,
        metadata jsonb,
        enrolled_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX IF NOT EXISTS ${this.identityIndex} ON ${this.faces} (identity)`,
    ];
  }

  createIndexStatement(options: Required<HnswIndexOptions>): string {
    // pgvector's HNSW indexes up to 2,000 dimensions of `vector` and 4,000 of `halfvec`; face
    // embeddings (128–512) are far below, raw pixels as a baseline may not be.
    const limit = options.precision === 'half' ? 4000 : 2000;
    if (this.dimension > limit) {
      throw new InvalidArgumentError(
        `gallery index: HNSW over ${options.precision === 'half' ? 'halfvec' : 'vector'} takes at most ${limit} dimensions, the gallery has ${this.dimension}; ` +
          (options.precision === 'half' ? 'open it with index: false and search exactly' : "use index: { precision: 'half' } (up to 4,000) or index: false"),
      );
    }
    const opclass = options.precision === 'half' ? 'halfvec_ip_ops' : 'vector_ip_ops';
    const { column } = this.searchExpression(options.precision);
    return `CREATE INDEX IF NOT EXISTS ${this.index} ON ${this.faces} USING hnsw (${column} ${opclass}) WITH (m = ${options.m}, ef_construction = ${options.efConstruction})`;
  }
}

/** The HNSW options with defaults filled in and checked (they are spliced into DDL, so integers only). */
export function resolveIndexOptions(options: HnswIndexOptions = {}): Required<HnswIndexOptions> {
  const m = options.m ?? 16;
  const efConstruction = options.efConstruction ?? 64;
  const precision = options.precision ?? 'single';
  if (!Number.isInteger(m) || m < 2 || m > 100) throw new InvalidArgumentError(`gallery index: m must be an integer in [2, 100], got ${m}`);
  if (!Number.isInteger(efConstruction) || efConstruction < 4 || efConstruction > 1000 || efConstruction < 2 * m) {
    throw new InvalidArgumentError(`gallery index: efConstruction must be an integer in [max(4, 2·m), 1000], got ${efConstruction} (m ${m})`);
  }
  if (precision !== 'single' && precision !== 'half') {
    throw new InvalidArgumentError(`gallery index: precision must be 'single' or 'half', got ${JSON.stringify(precision)}`);
  }
  return { m, efConstruction, precision };
}

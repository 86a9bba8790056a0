import { InvalidArgumentError, NotANumberError } from '@arcface/core';
import { EmbeddingDimensionError } from './errors';

/** An embedding as callers hold it: a typed array or plain numbers. */
export type EmbeddingInput = ArrayLike<number>;

/**
 * Checks one embedding and returns it as a unit vector in pgvector's text form. The gallery
 * scores by inner product (`vector_ip_ops`), which is the cosine only for unit vectors, so every
 * vector is normalised here (in float64) before it reaches the database.
 */
export function toUnitVectorLiteral(embedding: EmbeddingInput, dimension: number, where: string): string {
  if (embedding === null || typeof embedding !== 'object' || typeof embedding.length !== 'number') {
    throw new InvalidArgumentError(`${where}: the embedding must be an array of ${dimension} numbers, got ${typeof embedding}`);
  }
  if (embedding.length !== dimension) {
    throw new EmbeddingDimensionError(
      `${where}: the embedding has ${embedding.length} values but the gallery holds ${dimension}-dimensional embeddings; embed with the gallery's model`,
      dimension,
      embedding.length,
    );
  }
  let sumSquares = 0;
  for (let i = 0; i < dimension; i++) {
    const v = embedding[i] as number;
    if (Number.isNaN(v)) throw new NotANumberError(`${where}: the embedding has NaN at index ${i}; nothing was written`);
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${where}: the embedding has ${v} at index ${i}; nothing was written`);
    sumSquares += v * v;
  }
  if (!(sumSquares > 0)) {
    throw new InvalidArgumentError(`${where}: the embedding is all zeros, so it has no direction to compare; nothing was written`);
  }
  const scale = 1 / Math.sqrt(sumSquares);
  const parts = new Array<string>(dimension);
  // Nine significant digits round-trip any float32, which is what pgvector stores.
  for (let i = 0; i < dimension; i++) parts[i] = ((embedding[i] as number) * scale).toPrecision(9);
  return `[${parts.join(',')}]`;
}

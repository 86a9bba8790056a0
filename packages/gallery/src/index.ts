export {
  EmbeddingDimensionError,
  GalleryClosedError,
  GalleryConnectionError,
  GalleryQueryError,
  ModelMismatchError,
  UnknownIdentityError,
} from './errors';
export { type EmbeddingInput } from './embedding';
export {
  createGallery,
  DEFAULT_EF_SEARCH,
  type Enrolment,
  type Gallery,
  type GalleryCount,
  type GalleryModel,
  type GalleryOptions,
  type IdentifyOptions,
  type Match,
  type Verification,
} from './gallery';
export { openGallery, type OpenGalleryOptions } from './open-gallery';
export { openPGliteClient, type PGliteClientOptions } from './pglite-client';
export { redactConnectionString } from './redact-connection-string';
export { type HnswIndexOptions, type IndexPrecision } from './schema';
export type { SqlClient, SqlQueryable } from './sql-client';
export { benchGallery, type GalleryBenchOptions, type GalleryBenchResult, type LabelledEmbedding } from './bench/bench-gallery';
export { cumulativeMatchCurve, tarAtFarFromScores, type TarAtFarPoint } from './bench/identification-metrics';
export { randomUnitVectors } from './bench/random-unit-vectors';

import { InvalidArgumentError } from '@arcface/core';
import type { EmbeddingInput } from '../embedding';
import type { Enrolment, Gallery, Match } from '../gallery';
import type { HnswIndexOptions } from '../schema';
import { cumulativeMatchCurve, type TarAtFarPoint, tarAtFarFromScores } from './identification-metrics';

/** An embedding with the identity it belongs to. */
export interface LabelledEmbedding {
  identity: string;
  embedding: EmbeddingInput;
}

/** Options of {@link benchGallery}. */
export interface GalleryBenchOptions {
  /** The gallery side of each held-out identity (at least one image per probe identity). */
  enrolled: readonly LabelledEmbedding[];
  /** Other images of the same identities, searched for among everything enrolled. */
  probes: readonly LabelledEmbedding[];
  /** Faces of nobody in the probe set, each enrolled under its own identity. */
  distractors: Iterable<EmbeddingInput> | AsyncIterable<EmbeddingInput>;
  /** What the distractors are, copied into the result (e.g. 'random unit vectors', 'synthetic faces, model …'). */
  distractorSource: string;
  /** Length of the CMC curve (and `k` of each query). Default 10. */
  maxRank?: number;
  /** FARs of the TAR@FAR points. Default [1e-3, 1e-4, 1e-5]. */
  fars?: number[];
  /** Distractors kept in memory as impostors for TAR@FAR (every probe against each). Default 10,000. */
  impostorSample?: number;
  /** Faces per enrolment transaction. Default 1,000. */
  batchSize?: number;
  /** The HNSW index built after loading (default: pgvector's m 16, ef_construction 64). */
  index?: HnswIndexOptions;
  /** `hnsw.ef_search` of the indexed queries (default: the gallery's). */
  efSearch?: number;
  /** Called as work progresses (enrolment counts faces, the queries count probes). */
  onProgress?: (phase: 'enrol' | 'index' | 'identify' | 'exact', done: number) => void;
}

/** Result of {@link benchGallery}. */
export interface GalleryBenchResult {
  location: string;
  distractorSource: string;
  dimension: number;
  counts: { identities: number; enrolled: number; probes: number; distractors: number; embeddings: number };
  index: Readonly<Required<HnswIndexOptions>> | null;
  /** `hnsw.ef_search` of the indexed queries. */
  efSearch: number;
  /** Rank-1 identification rate through the HNSW index and by exact search. */
  rank1: { index: number; exact: number };
  /** CMC curves: entry r − 1 is the identification rate at rank r. */
  cmc: { index: number[]; exact: number[] };
  /** MegaFace's verification: probe–enrolled pairs as genuine, probe–other identity and probe–distractor pairs as impostors. */
  tarAtFar: TarAtFarPoint[];
  /** The index against exact search: same top-1 identity, and the share of exact top-k the index found. */
  recall: { top1: number; atK: number };
  timings: {
    enrolSeconds: number;
    enrolPerSecond: number;
    indexBuildSeconds: number;
    indexQueriesPerSecond: number;
    exactQueriesPerSecond: number;
  };
}

const DISTRACTOR_PREFIX = 'distractor:';

function unit(v: EmbeddingInput): Float64Array {
  const out = Float64Array.from(v as ArrayLike<number>);
  let s = 0;
  for (const x of out) s += x * x;
  const scale = 1 / Math.sqrt(s);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function rankOf(matches: readonly Match[], identity: string): number {
  const i = matches.findIndex((m) => m.identity === identity);
  return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * The MegaFace identification protocol on a gallery: enrols the held-out identities' gallery
 * images and the distractors (with the index dropped), builds the HNSW index, then searches for
 * every probe through the index and exactly. Reports rank-1 and the CMC curve, TAR@FAR, the
 * index's recall against exact search and the speeds. The gallery must be empty; it is left
 * filled (close or drop it afterwards).
 *
 * @example
 * const gallery = await openGallery({ model: { fingerprint: 'random', dimension: 128 }, index: false });
 * const result = await benchGallery(gallery, { enrolled, probes, distractors: randomUnitVectors(10_000, 128, 1), distractorSource: 'random unit vectors' });
 * console.log(result.rank1.index, result.recall.top1);
 */
export async function benchGallery(gallery: Gallery, options: GalleryBenchOptions): Promise<GalleryBenchResult> {
  const maxRank = options.maxRank ?? 10;
  const batchSize = options.batchSize ?? 1000;
  const impostorSample = options.impostorSample ?? 10_000;
  const fars = options.fars ?? [1e-3, 1e-4, 1e-5];
  const progress = options.onProgress ?? (() => {});
  const { enrolled, probes } = options;
  if (enrolled.length === 0 || probes.length === 0) throw new InvalidArgumentError('benchGallery: needs enrolled images and probes');
  const identities = new Set(enrolled.map((e) => e.identity));
  for (const id of identities) {
    if (id.startsWith(DISTRACTOR_PREFIX)) throw new InvalidArgumentError(`benchGallery: identity ${JSON.stringify(id)} uses the distractors' prefix '${DISTRACTOR_PREFIX}'`);
  }
  for (const p of probes) {
    if (!identities.has(p.identity)) throw new InvalidArgumentError(`benchGallery: probe identity ${JSON.stringify(p.identity)} has no enrolled image (the protocol is closed-set)`);
  }
  const before = await gallery.count();
  if (before.embeddings > 0) throw new InvalidArgumentError(`benchGallery: the gallery at ${gallery.location} already holds ${before.embeddings} embeddings; bench an empty one`);

  // Load with no index: building HNSW once over all rows is much faster than growing it per row.
  if (gallery.index !== null) await gallery.dropIndex();
  const enrolStart = performance.now();
  let written = 0;
  for (let start = 0; start < enrolled.length; start += batchSize) {
    written += await gallery.enrol(enrolled.slice(start, start + batchSize));
    progress('enrol', written);
  }
  const impostorVectors: Float64Array[] = [];
  let batch: Enrolment[] = [];
  let distractors = 0;
  const flush = async () => {
    written += await gallery.enrol(batch);
    batch = [];
    progress('enrol', written);
  };
  for await (const embedding of options.distractors) {
    batch.push({ identity: `${DISTRACTOR_PREFIX}${distractors}`, embedding });
    if (impostorVectors.length < impostorSample) impostorVectors.push(unit(embedding));
    distractors++;
    if (batch.length === batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  const enrolSeconds = seconds(enrolStart);

  progress('index', 0);
  const indexStart = performance.now();
  await gallery.buildIndex(options.index);
  const indexBuildSeconds = seconds(indexStart);

  const search = async (exact: boolean) => {
    const results: Match[][] = [];
    const start = performance.now();
    for (const probe of probes) {
      results.push(await gallery.identify(probe.embedding, { k: maxRank, exact, ...(options.efSearch === undefined ? {} : { efSearch: options.efSearch }) }));
      progress(exact ? 'exact' : 'identify', results.length);
    }
    return { results, queriesPerSecond: probes.length / seconds(start) };
  };
  const indexed = await search(false);
  const exact = await search(true);

  const indexRanks = probes.map((p, i) => rankOf(indexed.results[i]!, p.identity));
  const exactRanks = probes.map((p, i) => rankOf(exact.results[i]!, p.identity));
  let sameTop1 = 0;
  let found = 0;
  let wanted = 0;
  probes.forEach((_, i) => {
    const a = indexed.results[i]!;
    const b = exact.results[i]!;
    if (a[0]?.identity === b[0]?.identity) sameTop1++;
    const got = new Set(a.map((m) => m.identity));
    wanted += b.length;
    found += b.filter((m) => got.has(m.identity)).length;
  });

  const enrolledUnit = enrolled.map((e) => ({ identity: e.identity, vector: unit(e.embedding) }));
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (const probe of probes) {
    const p = unit(probe.embedding);
    for (const e of enrolledUnit) (e.identity === probe.identity ? genuine : impostor).push(dot(p, e.vector));
    for (const d of impostorVectors) impostor.push(dot(p, d));
  }

  const count = await gallery.count();
  const cmcIndex = cumulativeMatchCurve(indexRanks, maxRank);
  const cmcExact = cumulativeMatchCurve(exactRanks, maxRank);
  return {
    location: gallery.location,
    distractorSource: options.distractorSource,
    dimension: gallery.model.dimension,
    counts: { identities: identities.size, enrolled: enrolled.length, probes: probes.length, distractors, embeddings: count.embeddings },
    index: gallery.index,
    efSearch: options.efSearch ?? gallery.efSearch,
    rank1: { index: cmcIndex[0]!, exact: cmcExact[0]! },
    cmc: { index: cmcIndex, exact: cmcExact },
    tarAtFar: tarAtFarFromScores(genuine, impostor, fars),
    recall: { top1: sameTop1 / probes.length, atK: wanted === 0 ? 1 : found / wanted },
    timings: {
      enrolSeconds,
      enrolPerSecond: written / enrolSeconds,
      indexBuildSeconds,
      indexQueriesPerSecond: indexed.queriesPerSecond,
      exactQueriesPerSecond: exact.queriesPerSecond,
    },
  };
}

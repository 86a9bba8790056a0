import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createSyntheticFaces, resizeImage, type RgbImage } from '@arcface/data';
import { benchGallery, type GalleryBenchResult, randomUnitVectors } from '@arcface/gallery';
import { isPostgresUrl, openGalleryAt } from '@arcface/gallery/node';

import type { DemoProgress } from '../demo/run-demo';
import { plotCmcCurves } from '../plots/cmc-curve';
import { markdownTable } from '../report/report-markdown';
import { OptionValueError } from './cli-errors';
import { embedFiles, embedRgbImages, listFaceFolder, modelFingerprint, positiveInteger } from './gallery-model';
import { loadModelFolder } from './model-folder';

export interface GalleryBenchCommandOptions {
  readonly model: string;
  readonly data: string;
  readonly distractors: string;
  readonly distractorSource?: string;
  readonly gallery?: string;
  readonly perIdentity?: string;
  readonly maxRank?: string;
  readonly efSearch?: string;
  readonly indexPrecision?: string;
  readonly seed?: string;
  readonly out?: string;
  readonly json?: boolean;
}

/** What `arcface gallery bench` writes to `<out>/gallery-bench.json`. */
export interface GalleryBenchJson extends GalleryBenchResult {
  readonly model: string;
  readonly data: string;
  readonly perIdentity: number;
  readonly embedSeconds: number;
  readonly command: string;
}

const CHUNK = 256;

async function syntheticDistractors(
  count: number,
  inputShape: readonly [number, number, number],
  seed: number,
  embed: (images: RgbImage[]) => Promise<Float32Array[]>,
  progress: (done: number) => void,
): Promise<Float32Array[]> {
  const [height, width] = inputShape;
  // Rendered lazily: image(i) draws face i when asked, so only one chunk is ever in memory.
  const faces = createSyntheticFaces({ identities: count, imagesPerIdentity: 1, size: Math.max(height, width), seed });
  const out: Float32Array[] = [];
  for (let start = 0; start < count; start += CHUNK) {
    const images: RgbImage[] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      const image: RgbImage = { width: faces.size, height: faces.size, data: faces.image(i) };
      images.push(height === width ? image : resizeImage(image, width, height));
    }
    out.push(...(await embed(images)));
    progress(out.length);
  }
  return out;
}

/**
 * `arcface gallery bench`: the MegaFace identification protocol at this machine's scale. The
 * first `--per-identity` images (by name) of each identity in `--data` are enrolled, the rest are
 * probes; `--distractors` N faces of nobody join the gallery (synthetic faces from @arcface/data
 * embedded by the model, random unit vectors, or a folder's images). Writes the JSON, a
 * Markdown report and the CMC curve to `--out`.
 */
export async function galleryBenchCommand(options: GalleryBenchCommandOptions, write: (text: string) => void, command: string, progress?: DemoProgress): Promise<GalleryBenchJson> {
  const perIdentity = positiveInteger(options.perIdentity, '--per-identity', 1);
  const distractorCount = Number(options.distractors);
  if (!Number.isInteger(distractorCount) || distractorCount < 0) throw new OptionValueError(`--distractors must be a non-negative integer, got '${options.distractors}'`);
  const maxRank = positiveInteger(options.maxRank, '--max-rank', 10);
  const seed = positiveInteger(options.seed, '--seed', 1);
  const efSearch = options.efSearch === undefined ? undefined : positiveInteger(options.efSearch, '--ef-search');
  const precision = options.indexPrecision ?? 'single';
  if (precision !== 'single' && precision !== 'half') throw new OptionValueError(`--index-precision must be single or half, got '${precision}'`);
  const source = options.distractorSource ?? 'synthetic';
  const location = options.gallery ?? 'memory://';
  const out = options.out ?? 'gallery-bench';

  const folder = await listFaceFolder(options.data);
  const enrolledImages = folder.flatMap((images) => images.slice(0, perIdentity));
  const probeImages = folder.flatMap((images) => images.slice(perIdentity));
  if (probeImages.length === 0) throw new OptionValueError(`'${options.data}' has no image left to probe with after --per-identity ${perIdentity}; every identity needs more images than that`);

  const fingerprint = await modelFingerprint(options.model);
  const { model, metadata } = await loadModelFolder(options.model);
  const embedStart = performance.now();
  let enrolled: Float32Array[];
  let probes: Float32Array[];
  let distractors: Float32Array[];
  let sourceLabel: string;
  try {
    progress?.start('embed', enrolledImages.length + probeImages.length);
    const all = await embedFiles(model, metadata, [...enrolledImages, ...probeImages].map((i) => i.path), (done) => progress?.update(done));
    progress?.stop();
    enrolled = all.slice(0, enrolledImages.length);
    probes = all.slice(enrolledImages.length);
    progress?.start('distractors', distractorCount);
    if (source === 'synthetic') {
      distractors = await syntheticDistractors(distractorCount, metadata.inputShape, seed, (images) => embedRgbImages(model, images), (done) => progress?.update(done));
      sourceLabel = `synthetic faces (@arcface/data, seed ${seed}) embedded by the model`;
    } else if (source === 'random') {
      distractors = [...randomUnitVectors(distractorCount, metadata.embeddingSize, seed)];
      sourceLabel = `random unit vectors (seed ${seed}): a measure of the index, not of the model`;
    } else {
      const images = (await listFaceFolder(source)).flat().slice(0, distractorCount);
      if (images.length < distractorCount) throw new OptionValueError(`--distractor-source '${source}' has ${images.length} images, fewer than --distractors ${distractorCount}`);
      distractors = await embedFiles(model, metadata, images.map((i) => i.path), (done) => progress?.update(done));
      sourceLabel = `images of ${source} embedded by the model`;
    }
    progress?.stop();
  } finally {
    model.dispose();
  }
  const embedSeconds = (performance.now() - embedStart) / 1000;

  // A server gets a table of its own, dropped afterwards; PGlite in memory goes with the process.
  const table = isPostgresUrl(location) || location !== 'memory://' ? `arcface_bench_${Date.now()}` : 'arcface_bench';
  const gallery = await openGalleryAt(location, { model: { fingerprint, dimension: metadata.embeddingSize }, table, index: false });
  let result: GalleryBenchResult;
  try {
    let phase = '';
    result = await benchGallery(gallery, {
      enrolled: enrolledImages.map((image, i) => ({ identity: image.identity, embedding: enrolled[i]! })),
      probes: probeImages.map((image, i) => ({ identity: image.identity, embedding: probes[i]! })),
      distractors,
      distractorSource: sourceLabel,
      maxRank,
      index: { precision },
      ...(efSearch === undefined ? {} : { efSearch }),
      onProgress: (next, done) => {
        if (next !== phase) {
          if (phase !== '') progress?.stop();
          phase = next;
          const totals = { enrol: enrolled.length + distractors.length, index: 1, identify: probes.length, exact: probes.length };
          progress?.start(next === 'index' ? 'build HNSW index' : next, totals[next]);
        }
        progress?.update(done);
      },
    });
    progress?.stop();
  } finally {
    await (location === 'memory://' ? gallery.close() : gallery.drop());
  }

  const json: GalleryBenchJson = { ...result, model: options.model, data: options.data, perIdentity, embedSeconds, command };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'gallery-bench.json'), `${JSON.stringify(json, null, 2)}\n`);
  const plot = await plotCmcCurves(
    [
      { name: `HNSW (ef_search ${result.efSearch})`, rates: result.cmc.index },
      { name: 'exact search', rates: result.cmc.exact },
    ],
    { title: `CMC: ${result.counts.probes} probes, ${result.counts.distractors.toLocaleString('en')} distractors` },
  );
  await writeFile(join(out, 'cmc.svg'), plot.svg);
  const report = galleryBenchMarkdown(json);
  await writeFile(join(out, 'gallery-bench.md'), report);
  write(options.json === true ? `${JSON.stringify(json, null, 2)}\n` : `${report}\nwrote ${join(out, 'gallery-bench.md')}, cmc.svg and gallery-bench.json\n`);
  return json;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The Markdown report of a bench run: the protocol, the figures, the CMC plot. */
export function galleryBenchMarkdown(r: GalleryBenchJson): string {
  const t = r.timings;
  const lines = [
    '# Gallery benchmark (MegaFace identification protocol)',
    '',
    `\`${r.command}\``,
    '',
    `${r.counts.identities} identities of ${r.data}: ${r.counts.enrolled} images enrolled (first ${r.perIdentity} by name), ${r.counts.probes} probes; ` +
      `${r.counts.distractors.toLocaleString('en')} distractors: ${r.distractorSource}. Gallery: ${r.location}, ${r.dimension}-d, ` +
      `HNSW ${r.index === null ? 'none' : `m ${r.index.m}, ef_construction ${r.index.efConstruction}, ${r.index.precision} precision`}, ef_search ${r.efSearch}.`,
    '',
    markdownTable({
      header: ['search', 'rank-1', `rank-${r.cmc.exact.length}`, 'queries/s'],
      rows: [
        ['HNSW index', percent(r.rank1.index), percent(r.cmc.index.at(-1)!), t.indexQueriesPerSecond.toFixed(1)],
        ['exact', percent(r.rank1.exact), percent(r.cmc.exact.at(-1)!), t.exactQueriesPerSecond.toFixed(1)],
      ],
    }),
    '',
    `Index against exact search: same top-1 for ${percent(r.recall.top1)} of probes; recall@${r.cmc.exact.length} ${percent(r.recall.atK)}.`,
    '',
    markdownTable({
      header: ['FAR', 'TAR', 'threshold (cosine)', 'impostor pairs'],
      rows: r.tarAtFar.map((p) => [p.far.toExponential(0), p.tar === null ? 'too few impostors' : percent(p.tar), p.threshold === null ? '–' : p.threshold.toFixed(4), p.impostors.toLocaleString('en')]),
    }),
    '',
    `Embedding ${r.embedSeconds.toFixed(1)} s; enrolment ${t.enrolSeconds.toFixed(1)} s (${t.enrolPerSecond.toFixed(0)} faces/s); HNSW build ${t.indexBuildSeconds.toFixed(1)} s.`,
    '',
    '![CMC curve](cmc.svg)',
    '',
  ];
  return lines.join('\n');
}

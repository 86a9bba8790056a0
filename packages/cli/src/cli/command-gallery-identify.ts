import { openGalleryAt } from '@arcface/gallery/node';
import type { Match } from '@arcface/gallery';

import { markdownTable } from '../report/report-markdown';
import { OptionValueError } from './cli-errors';
import { embedFiles, modelFingerprint, positiveInteger } from './gallery-model';
import { loadModelFolder } from './model-folder';

export interface GalleryIdentifyOptions {
  readonly model: string;
  readonly gallery: string;
  readonly k?: string;
  readonly exact?: boolean;
  readonly efSearch?: string;
  readonly json?: boolean;
  readonly table?: string;
}

/** One line of `arcface gallery identify --json`. */
export interface IdentifyJson {
  readonly file: string;
  readonly matches: Match[];
}

/**
 * `arcface gallery identify`: the k enrolled identities closest to each image (HNSW, or every
 * row with `--exact`), as `[{ file, matches: [{ identity, score }] }]` with `--json`, else a table.
 */
export async function galleryIdentifyCommand(files: readonly string[], options: GalleryIdentifyOptions, write: (text: string) => void): Promise<void> {
  if (files.length === 0) throw new OptionValueError('no images given; pass one or more image files: arcface gallery identify --model <dir> --gallery <…> a.png');
  const k = positiveInteger(options.k, '--k', 5);
  const efSearch = options.efSearch === undefined ? undefined : positiveInteger(options.efSearch, '--ef-search');
  const fingerprint = await modelFingerprint(options.model);
  const { model, metadata } = await loadModelFolder(options.model);
  let embeddings: Float32Array[];
  try {
    embeddings = await embedFiles(model, metadata, files);
  } finally {
    model.dispose();
  }
  // Opening checks the gallery's recorded model against this one (ModelMismatchError otherwise).
  const gallery = await openGalleryAt(options.gallery, { model: { fingerprint, dimension: metadata.embeddingSize }, ...(options.table === undefined ? {} : { table: options.table }) });
  const results: IdentifyJson[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const matches = await gallery.identify(embeddings[i]!, { k, exact: options.exact === true, ...(efSearch === undefined ? {} : { efSearch }) });
      results.push({ file, matches });
    }
  } finally {
    await gallery.close();
  }
  if (options.json === true) {
    write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const rows = results.flatMap((r) => r.matches.map((m, rank) => [rank === 0 ? r.file : '', String(rank + 1), m.identity, m.score.toFixed(4)]));
  write(`${markdownTable({ header: ['image', 'rank', 'identity', 'cosine'], rows })}\n`);
}

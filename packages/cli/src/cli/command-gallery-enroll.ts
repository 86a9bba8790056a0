import { openGalleryAt } from '@arcface/gallery/node';

import type { DemoProgress } from '../demo/run-demo';
import { embedFiles, listFaceFolder, modelFingerprint, positiveInteger } from './gallery-model';
import { loadModelFolder } from './model-folder';

export interface GalleryEnrollOptions {
  readonly model: string;
  readonly gallery: string;
  readonly data: string;
  readonly perIdentity?: string;
  readonly table?: string;
}

/**
 * `arcface gallery enroll`: embeds `<data>/<identity>/<image>` (only the first N images of each
 * identity, by name, with `--per-identity N`) and enrols them in one transaction into the gallery
 * at `--gallery` (a postgres:// URL or a folder), created for this model if new.
 */
export async function galleryEnrollCommand(options: GalleryEnrollOptions, write: (text: string) => void, progress?: DemoProgress): Promise<void> {
  const perIdentity = options.perIdentity === undefined ? Number.POSITIVE_INFINITY : positiveInteger(options.perIdentity, '--per-identity');
  const folder = (await listFaceFolder(options.data)).map((images) => images.slice(0, perIdentity));
  const images = folder.flat();
  const fingerprint = await modelFingerprint(options.model);
  const { model, metadata } = await loadModelFolder(options.model);
  const started = performance.now();
  let embeddings: Float32Array[];
  try {
    progress?.start('embed', images.length);
    embeddings = await embedFiles(model, metadata, images.map((i) => i.path), (done) => progress?.update(done));
    progress?.stop();
  } finally {
    model.dispose();
  }
  const gallery = await openGalleryAt(options.gallery, { model: { fingerprint, dimension: metadata.embeddingSize }, ...(options.table === undefined ? {} : { table: options.table }) });
  try {
    const written = await gallery.enrol(images.map((image, i) => ({ identity: image.identity, embedding: embeddings[i]!, metadata: { file: image.file } })));
    const count = await gallery.count();
    const seconds = (performance.now() - started) / 1000;
    write(
      `enrolled ${written} images of ${folder.length} identities into ${gallery.location} in ${seconds.toFixed(1)} s; ` +
        `the gallery holds ${count.embeddings} images of ${count.identities} identities\n`,
    );
  } finally {
    await gallery.close();
  }
}

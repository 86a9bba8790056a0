import { createGallery, type Gallery, type GalleryOptions } from './gallery';
import { openPGliteClient } from './pglite-client';

/** Options of {@link openGallery}: the gallery's options plus where PGlite keeps its files. */
export interface OpenGalleryOptions extends GalleryOptions {
  /**
   * Undefined or `'memory://'`: in memory, gone when closed. `'idb://name'`: IndexedDB in a
   * browser. In Node, a folder (see `openGalleryAt` in `@arcface/gallery/node` for servers too).
   */
  dataDir?: string;
}

/**
 * Opens (or creates) a gallery in PGlite, PostgreSQL with pgvector compiled to WebAssembly and
 * run in process: nothing to install, in Node or a browser.
 *
 * @example
 * const gallery = await openGallery({ model: { fingerprint: 'sha256:…', dimension: 512 } });
 * await gallery.enrol([{ identity: 'ada', embedding }]);
 * const [best] = await gallery.identify(probe, { k: 1 }); // { identity: 'ada', score: 0.83 }
 * await gallery.close();
 */
export async function openGallery(options: OpenGalleryOptions): Promise<Gallery> {
  const client = await openPGliteClient(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  return createGallery(client, options);
}

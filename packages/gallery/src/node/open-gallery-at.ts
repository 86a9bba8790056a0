import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GalleryConnectionError } from '../errors';
import { createGallery, type Gallery, type GalleryOptions } from '../gallery';
import { openPGliteClient } from '../pglite-client';
import { redactConnectionString } from '../redact-connection-string';
import { openPostgresClient, type PostgresClientOptions } from './postgres-client';

/** Options of {@link openGalleryAt}. */
export interface OpenGalleryAtOptions extends GalleryOptions {
  /** Pool settings when `location` is a server URL. */
  postgres?: PostgresClientOptions;
}

/** True when `location` names a PostgreSQL server rather than a folder. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens (or creates) a gallery wherever `location` says: a `postgres://` or `postgresql://` URL
 * (a server with the pgvector extension, through node-postgres), `'memory://'`, or a folder that
 * PGlite keeps its files in (created if missing). The same schema and queries run on both.
 *
 * @example
 * const gallery = await openGalleryAt(process.env.ARCFACE_PG_URL ?? './faces.db', { model });
 */
export async function openGalleryAt(location: string, options: OpenGalleryAtOptions): Promise<Gallery> {
  if (isPostgresUrl(location)) {
    return createGallery(await openPostgresClient(location, options.postgres), options);
  }
  if (location === 'memory://') return createGallery(await openPGliteClient(), options);
  const folder = resolve(location);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new GalleryConnectionError(`cannot create the gallery folder ${redactConnectionString(folder)} (${(error as Error).message})`, { cause: error });
  }
  return createGallery(await openPGliteClient({ dataDir: folder }), options);
}

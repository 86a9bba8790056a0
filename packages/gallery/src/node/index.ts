export { isPostgresUrl, openGalleryAt, type OpenGalleryAtOptions } from './open-gallery-at';
export { openPostgresClient, type PostgresClientOptions } from './postgres-client';

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGallery, GalleryConnectionError, ModelMismatchError, openPGliteClient, type SqlClient } from '../src/index';
import { openGalleryAt } from '../src/node/index';
import { galleryContract } from './gallery-contract';
import { clusteredFaces } from './vectors';

// One PGlite for the contract (starting one takes seconds); each gallery gets its own table, and
// closing a gallery leaves the shared database open.
let shared: SqlClient;
beforeAll(async () => {
  shared = await openPGliteClient();
});
afterAll(async () => {
  await shared?.close();
});

galleryContract('PGlite', (options) => createGallery({ ...shared, close: async () => {} }, options));

describe('PGlite in a folder', () => {
  const folder = mkdtempSync(join(tmpdir(), 'arcface-gallery-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps the gallery across a restart, with its model fingerprint', async () => {
    const model = { fingerprint: 'sha256:folder-model', dimension: 16 };
    const faces = clusteredFaces(5, 2, 16, 3);
    const first = await openGalleryAt(join(folder, 'faces'), { model });
    await first.enrol(faces);
    const before = await first.identify(faces[3]!.embedding, { k: 3 });
    await first.close();

    const reopened = await openGalleryAt(join(folder, 'faces'), { model });
    expect(await reopened.count()).toEqual({ embeddings: 10, identities: 5 });
    expect(await reopened.identify(faces[3]!.embedding, { k: 3 })).toEqual(before);
    await reopened.close();
    await expect(openGalleryAt(join(folder, 'faces'), { model: { ...model, fingerprint: 'sha256:other' } })).rejects.toBeInstanceOf(ModelMismatchError);
  });

  it('says so when the folder cannot hold a database', async () => {
    const file = join(folder, 'not-a-folder');
    writeFileSync(file, 'x');
    await expect(openGalleryAt(join(file, 'faces'), { model: { fingerprint: 'f', dimension: 4 } })).rejects.toBeInstanceOf(GalleryConnectionError);
  });
});

describe('the query plan', () => {
  it('identify goes through the HNSW index (full or half precision), exact search does not', async () => {
    const seen: { text: string; params: readonly unknown[] }[] = [];
    const recording: SqlClient = {
      ...shared,
      close: async () => {},
      transaction: (work) =>
        shared.transaction((tx) =>
          work({
            query: (text, params = []) => {
              seen.push({ text, params });
              return tx.query(text, params);
            },
          }),
        ),
    };
    const faces = clusteredFaces(20, 3, 16, 5);
    const gallery = await createGallery(recording, { model: { fingerprint: 'plan', dimension: 16 }, table: 'plan_check' });
    await gallery.enrol(faces);
    const plan = async (exact: boolean) => {
      seen.length = 0;
      await gallery.identify(faces[0]!.embedding, { k: 3, exact });
      const select = seen.find((q) => q.text.startsWith('SELECT') && !q.text.includes('set_config'))!;
      return shared.transaction(async (tx) => {
        for (const q of seen.filter((q) => /^SET|set_config/.test(q.text))) await tx.query(q.text, q.params);
        const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${select.text}`, select.params);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    };
    expect(await plan(false)).toMatch(/Index Scan using plan_check_hnsw/);
    expect(await plan(true)).not.toMatch(/plan_check_hnsw/);
    // The settings the index query ran under: ef_search from the call, else the gallery's 100.
    const settingsOf = async (efSearch?: number) => {
      seen.length = 0;
      await gallery.identify(faces[0]!.embedding, { k: 3, ...(efSearch === undefined ? {} : { efSearch }) });
      return shared.transaction(async (tx) => {
        for (const q of seen.filter((q) => q.text.includes('set_config'))) await tx.query(q.text, q.params);
        const [row] = await tx.query<Record<string, string>>("SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan");
        return row;
      });
    };
    expect(await settingsOf()).toEqual({ ef: '100', scan: 'strict_order' });
    expect(await settingsOf(7)).toEqual({ ef: '7', scan: 'strict_order' });
    // SET LOCAL: nothing leaks into the session after the transaction.
    expect((await shared.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef"))[0]!.ef).toBe('40');
    await gallery.buildIndex({ precision: 'half', m: 8, efConstruction: 32 });
    expect(await plan(false)).toMatch(/Index Scan using plan_check_hnsw/);
    const [definition] = await shared.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'plan_check_hnsw'");
    expect(definition!.indexdef).toMatch(/USING hnsw \(\(\(embedding\)::halfvec\(16\)\) halfvec_ip_ops\) WITH \(m='?8'?, ef_construction='?32'?\)/);
  });
});

describe('dimensions past the HNSW limits', () => {
  it('a 3,000-d gallery works with a halfvec index, and a vector index is refused with the way out', async () => {
    const table = 'wide_gallery';
    const client = { ...shared, close: async () => {} };
    await expect(createGallery(client, { model: { fingerprint: 'pixels', dimension: 3000 }, table })).rejects.toThrow(/at most 2000 dimensions.*precision: 'half'/);
    const gallery = await createGallery(client, { model: { fingerprint: 'pixels', dimension: 3000 }, table, index: { precision: 'half' } });
    const faces = clusteredFaces(4, 2, 3000, 12);
    await gallery.enrol(faces);
    const [top] = await gallery.identify(faces[5]!.embedding, { k: 1 });
    expect(top!.identity).toBe(faces[5]!.identity);
    expect(top!.score).toBeCloseTo(1, 5);
  });
});

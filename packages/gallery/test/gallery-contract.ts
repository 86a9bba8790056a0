import { InvalidArgumentError, NotANumberError } from '@arcface/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EmbeddingDimensionError,
  GalleryClosedError,
  GalleryQueryError,
  ModelMismatchError,
  UnknownIdentityError,
  type Gallery,
  type GalleryOptions,
} from '../src/index';
import { clusteredFaces, referenceIdentify } from './vectors';

export type OpenForTest = (options: GalleryOptions) => Promise<Gallery>;

const DIM = 48;
let tables = 0;
/** A fresh table name per gallery, so galleries of one suite never see each other's rows. */
export const freshTable = (prefix: string) => `${prefix}_${process.pid}_${Date.now() % 1e6}_${tables++}`;

/** The behaviour every backend must share: the same queries on PGlite and on a server. */
export function galleryContract(name: string, openGallery: OpenForTest): void {
  describe(`${name}: the gallery contract`, () => {
    const faces = clusteredFaces(60, 4, DIM, 11);
    const enrolled = faces.filter((_, i) => i % 4 !== 3);
    const probes = faces.filter((_, i) => i % 4 === 3);
    const model = { fingerprint: 'sha256:contract-model', dimension: DIM };
    let gallery: Gallery;

    beforeAll(async () => {
      gallery = await openGallery({ model, table: freshTable('contract') });
      expect(await gallery.enrol(enrolled)).toBe(enrolled.length);
    });

    it('counts embeddings and identities', async () => {
      expect(await gallery.count()).toEqual({ embeddings: 180, identities: 60 });
    });

    it('exact search returns the float64 reference: the same identities in order, cosines to 1e-6', async () => {
      for (const probe of probes.slice(0, 20)) {
        const got = await gallery.identify(probe.embedding, { k: 5, exact: true });
        const want = referenceIdentify(enrolled, probe.embedding, 5);
        expect(got.map((m) => m.identity)).toEqual(want.map((m) => m.identity));
        got.forEach((m, i) => expect(Math.abs(m.score - want[i]!.score)).toBeLessThan(1e-6));
      }
    });

    it('the HNSW index finds the exact top-1 of every probe, with exact cosines', async () => {
      expect(gallery.index).toEqual({ m: 16, efConstruction: 64, precision: 'single' });
      for (const probe of probes) {
        const [top] = await gallery.identify(probe.embedding, { k: 1 });
        const [want] = referenceIdentify(enrolled, probe.embedding, 1);
        expect(top!.identity).toBe(want!.identity);
        expect(Math.abs(top!.score - want!.score)).toBeLessThan(1e-6);
      }
    });

    it('returns k distinct identities even when k exceeds ef_search (ef_search is raised to k)', async () => {
      const got = await gallery.identify(probes[0]!.embedding, { k: 50, efSearch: 10 });
      expect(got).toHaveLength(50);
      expect(new Set(got.map((m) => m.identity)).size).toBe(50);
      for (let i = 1; i < got.length; i++) expect(got[i]!.score).toBeLessThanOrEqual(got[i - 1]!.score);
    });

    it('a halfvec index ranks at half precision and still scores at full precision', async () => {
      await gallery.buildIndex({ precision: 'half' });
      expect(gallery.index?.precision).toBe('half');
      let same = 0;
      for (const probe of probes) {
        const [top] = await gallery.identify(probe.embedding, { k: 1 });
        const exact = referenceIdentify(enrolled, probe.embedding, 60).find((m) => m.identity === top!.identity)!;
        expect(Math.abs(top!.score - exact.score)).toBeLessThan(1e-6);
        if (top!.identity === referenceIdentify(enrolled, probe.embedding, 1)[0]!.identity) same++;
      }
      expect(same / probes.length).toBeGreaterThanOrEqual(0.95);
      await gallery.buildIndex({ precision: 'single' });
    });

    it('verify gives the cosine with the closest image of that identity', async () => {
      const probe = probes[7]!;
      const got = await gallery.verify(probe.embedding, probe.identity);
      const want = referenceIdentify(enrolled.filter((f) => f.identity === probe.identity), probe.embedding, 1)[0]!;
      expect(got.enrolled).toBe(3);
      expect(Math.abs(got.score - want.score)).toBeLessThan(1e-6);
    });

    it('refuses a wrong dimension, a NaN, a bad k, before touching the database', async () => {
      await expect(gallery.identify(new Float32Array(DIM + 1))).rejects.toBeInstanceOf(EmbeddingDimensionError);
      const nan = Float32Array.from(probes[0]!.embedding);
      nan[5] = Number.NaN;
      await expect(gallery.identify(nan)).rejects.toBeInstanceOf(NotANumberError);
      await expect(gallery.identify(new Float32Array(DIM))).rejects.toThrow(/all zeros/);
      await expect(gallery.identify(probes[0]!.embedding, { k: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(gallery.verify(probes[0]!.embedding, 'nobody')).rejects.toBeInstanceOf(UnknownIdentityError);
      await expect(gallery.remove('nobody')).rejects.toBeInstanceOf(UnknownIdentityError);
    });

    it('a batch with one bad embedding leaves the gallery unchanged', async () => {
      const before = await gallery.count();
      const batch = faces.slice(0, 40).map((f) => ({ identity: `new-${f.identity}`, embedding: Float32Array.from(f.embedding) }));
      batch[23]!.embedding[7] = Number.NaN;
      await expect(gallery.enrol(batch)).rejects.toThrow(/entry 23 .*NaN at index 7/);
      const wrong = batch.map((b) => ({ ...b, embedding: Float32Array.from(faces[0]!.embedding) }));
      wrong[31] = { identity: 'x', embedding: new Float32Array(DIM - 1) };
      await expect(gallery.enrol(wrong)).rejects.toBeInstanceOf(EmbeddingDimensionError);
      expect(await gallery.count()).toEqual(before);
    });

    it('a batch the database refuses part-way (after two statements went in) is rolled back whole', async () => {
      const before = await gallery.count();
      // 600 rows are three INSERT statements; row 560 carries a JSON string PostgreSQL's jsonb
      // refuses (a NUL character), so the third statement fails after the first two succeeded.
      const batch = Array.from({ length: 600 }, (_, i) => ({
        identity: `bulk-${i}`,
        embedding: faces[i % faces.length]!.embedding,
        metadata: i === 560 ? { file: 'bad\u0000name' } : { file: `img-${i}.png` },
      }));
      const error = await gallery.enrol(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GalleryQueryError);
      expect((error as Error).message).toMatch(/entries 512–599 .*rolled back/);
      expect(await gallery.count()).toEqual(before);
    });

    it('remove deletes every image of an identity', async () => {
      const extra = await openGallery({ model, table: freshTable('remove') });
      await extra.enrol(faces.slice(0, 8));
      expect(await extra.remove('person-000')).toBe(4);
      expect(await extra.count()).toEqual({ embeddings: 4, identities: 1 });
      await expect(extra.verify(faces[0]!.embedding, 'person-000')).rejects.toBeInstanceOf(UnknownIdentityError);
      await extra.close();
    });

    it('refuses to open a gallery made for another model', async () => {
      const table = freshTable('model');
      const first = await openGallery({ model, table });
      await first.enrol(faces.slice(0, 2));
      await first.close();
      await expect(openGallery({ model: { ...model, fingerprint: 'sha256:other' }, table })).rejects.toBeInstanceOf(ModelMismatchError);
      await expect(openGallery({ model: { ...model, dimension: DIM * 2 }, table })).rejects.toThrow(/holds embeddings of model sha256:contract-model \(48-d\)/);
      const again = await openGallery({ model, table });
      expect(await again.count()).toEqual({ embeddings: 2, identities: 1 });
      await again.close();
    });

    it('throws GalleryClosedError after close', async () => {
      const closing = await openGallery({ model, table: freshTable('closed') });
      await closing.close();
      await expect(closing.identify(probes[0]!.embedding)).rejects.toBeInstanceOf(GalleryClosedError);
      await expect(closing.enrol(faces.slice(0, 1))).rejects.toBeInstanceOf(GalleryClosedError);
      await closing.close(); // twice is fine
    });

    it('drop deletes the tables: the same name opens empty, even for another model', async () => {
      const table = freshTable('dropped');
      const first = await openGallery({ model, table });
      await first.enrol(faces.slice(0, 3));
      await first.drop();
      await expect(first.count()).rejects.toBeInstanceOf(GalleryClosedError);
      const again = await openGallery({ model: { ...model, fingerprint: 'sha256:another' }, table });
      expect(await again.count()).toEqual({ embeddings: 0, identities: 0 });
      await again.close();
    });
  });
}

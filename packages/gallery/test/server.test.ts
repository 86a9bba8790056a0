import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGallery, type Gallery, GalleryConnectionError, openPGliteClient } from '../src/index';
import { openGalleryAt, openPostgresClient } from '../src/node/index';
import { freshTable, galleryContract } from './gallery-contract';
import { clusteredFaces } from './vectors';

const url = inject('pgUrl');
if (url === null) {
  describe('PostgreSQL server', () => {
    it.skip(inject('pgSkipReason'), () => {});
  });
} else {
  galleryContract('PostgreSQL server', (options) => openGalleryAt(url, options));

  describe('PostgreSQL server and PGlite', () => {
    const faces = clusteredFaces(80, 4, 64, 21);
    const enrolled = faces.filter((_, i) => i % 4 !== 0);
    const probes = faces.filter((_, i) => i % 4 === 0);
    const model = { fingerprint: 'sha256:cross', dimension: 64 };
    let server: Gallery;
    let embedded: Gallery;
    beforeAll(async () => {
      server = await openGalleryAt(url, { model, table: freshTable('cross') });
      embedded = await createGallery(await openPGliteClient(), { model, table: 'cross' });
      await server.enrol(enrolled);
      await embedded.enrol(enrolled);
    });
    afterAll(async () => {
      await server?.close();
      await embedded?.close();
    });

    it('return the same matches and scores, exact and through the index', async () => {
      for (const probe of probes) {
        for (const exact of [true, false]) {
          const a = await server.identify(probe.embedding, { k: 5, exact });
          const b = await embedded.identify(probe.embedding, { k: 5, exact });
          expect(a.map((m) => m.identity)).toEqual(b.map((m) => m.identity));
          a.forEach((m, i) => expect(Math.abs(m.score - b[i]!.score)).toBeLessThan(1e-6));
        }
        const v = [await server.verify(probe.embedding, probe.identity), await embedded.verify(probe.embedding, probe.identity)];
        expect(Math.abs(v[0]!.score - v[1]!.score)).toBeLessThan(1e-6);
      }
    });
  });

  describe('PostgreSQL server under concurrent use', () => {
    it('identify keeps answering, and answering right, while another process enrols', async () => {
      const table = freshTable('concurrent');
      const model = { fingerprint: 'sha256:concurrent', dimension: 32 };
      const gallery = await openGalleryAt(url, { model, table });
      // Tight clusters: 3,000 random newcomers must not outscore a probe's own identity by chance.
      const faces = clusteredFaces(30, 2, 32, 77, 0.25);
      await gallery.enrol(faces.filter((_, i) => i % 2 === 0));
      const probes = faces.filter((_, i) => i % 2 === 1);

      const worker = spawn(process.execPath, ['--conditions=@arcface/source', '--import', 'tsx', fileURLToPath(new URL('./fixtures/enrol-worker.ts', import.meta.url)), url, table, '30', '100'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      worker.stdout.on('data', (d) => (output += d));
      worker.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number>((resolve) => worker.on('exit', (code) => resolve(code ?? -1)));
      let running = true;
      void exited.then(() => (running = false));

      let answered = 0;
      const growth: number[] = [];
      try {
        while (running) {
          for (const probe of probes) {
            const [top] = await gallery.identify(probe.embedding, { k: 1 });
            expect(top!.identity).toBe(probe.identity);
            answered++;
          }
          growth.push((await gallery.count()).embeddings);
        }
      } finally {
        if (running) worker.kill();
      }
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/done 3000/);
      // Queries ran while the count was still growing, so they overlapped the enrolment.
      expect(new Set(growth).size).toBeGreaterThan(2);
      expect(answered).toBeGreaterThan(probes.length * 2);
      expect(await gallery.count()).toEqual({ embeddings: 3030, identities: 3030 });
      await gallery.close();
    });
  });

  describe('PostgreSQL server errors', () => {
    it('an unreachable server is a GalleryConnectionError whose message hides the password', async () => {
      const bad = 'postgres://arcface:hunter2@localhost:1/faces?host=/nonexistent-arcface-socket-dir';
      const error = await openGalleryAt(bad, { model: { fingerprint: 'f', dimension: 4 }, postgres: { connectTimeoutMs: 2000 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GalleryConnectionError);
      expect((error as Error).message).toContain('postgres://arcface:***@localhost:1/faces');
      expect((error as Error).message).not.toContain('hunter2');
    });

    it('a connection the server drops is replaced: the next query still answers', async () => {
      const client = await openPostgresClient(url, { maxConnections: 1 });
      const gallery = await createGallery(client, { model: { fingerprint: 'f', dimension: 4 }, table: freshTable('dropped') });
      await gallery.enrol([{ identity: 'a', embedding: [1, 0, 0, 0] }]);
      // End the gallery's own backend from another connection: the server side of "went away".
      // Whether the pool notices before the next query is a race, so it is run several times.
      const admin = await openPostgresClient(url);
      for (let round = 0; round < 6; round++) {
        const [pid] = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [pid!.pid]);
        expect(await gallery.identify([1, 0, 0, 0])).toEqual([{ identity: 'a', score: 1 }]);
        const [next] = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        expect(next!.pid).not.toBe(pid!.pid);
      }
      await admin.close();
      await gallery.close();
    });
  });
}

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  benchGallery,
  createGallery,
  cumulativeMatchCurve,
  openPGliteClient,
  randomUnitVectors,
  type SqlClient,
  tarAtFarFromScores,
} from '../src/index';
import { clusteredFaces, referenceIdentify } from './vectors';

describe('cumulativeMatchCurve', () => {
  it('counts probes at or under each rank', () => {
    expect(cumulativeMatchCurve([1, 2, Infinity, 1, 5], 3)).toEqual([0.4, 0.6, 0.6]);
  });
  it('is non-decreasing and ends at the share of probes found within maxRank', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(Infinity)), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 20 }), (ranks, maxRank) => {
        const curve = cumulativeMatchCurve(ranks, maxRank);
        for (let i = 1; i < curve.length; i++) expect(curve[i]!).toBeGreaterThanOrEqual(curve[i - 1]!);
        expect(curve.at(-1)).toBeCloseTo(ranks.filter((r) => r <= maxRank).length / ranks.length, 12);
      }),
    );
  });
});

describe('tarAtFarFromScores', () => {
  it('lets through at most far·n impostors, and counts genuine pairs above that threshold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 10, maxLength: 400 }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (genuine, impostor, far) => {
          const [point] = tarAtFarFromScores(genuine, impostor, [far]);
          const allowed = Math.floor(far * impostor.length);
          if (allowed < 1) {
            expect(point!.tar).toBeNull();
            return;
          }
          const passed = impostor.filter((s) => s > point!.threshold!).length;
          expect(passed).toBeLessThanOrEqual(allowed);
          // The smallest such threshold: any impostor score below it would let in too many.
          const lower = impostor.filter((s) => s < point!.threshold!);
          if (lower.length > 0) expect(impostor.filter((s) => s > Math.max(...lower)).length).toBeGreaterThan(allowed);
          expect(point!.tar).toBe(genuine.filter((s) => s > point!.threshold!).length / genuine.length);
        },
      ),
    );
  });
  it('says null where the impostors are too few for the FAR', () => {
    expect(tarAtFarFromScores([0.9], [0.1, 0.2], [1e-3])[0]).toEqual({ far: 1e-3, tar: null, threshold: null, impostors: 2 });
    expect(tarAtFarFromScores([0.9, 0.15], [0.1, 0.2, 0.3, 0.4], [0.25])[0]).toMatchObject({ tar: 0.5, threshold: 0.3 });
  });
});

describe('randomUnitVectors', () => {
  it('is seeded, unit length, and spread out', () => {
    const a = [...randomUnitVectors(200, 64, 9)];
    const b = [...randomUnitVectors(200, 64, 9)];
    expect(a).toEqual(b);
    let meanCos = 0;
    for (const v of a) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    for (let i = 1; i < a.length; i++) meanCos += a[0]!.reduce((s, x, j) => s + x * a[i]![j]!, 0) / (a.length - 1);
    expect(Math.abs(meanCos)).toBeLessThan(0.05);
  });
});

describe('benchGallery on PGlite', () => {
  let client: SqlClient;
  beforeAll(async () => {
    client = await openPGliteClient();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('measures rank-1 and the CMC curve exactly as a float64 brute-force search would', async () => {
    const faces = clusteredFaces(40, 3, 32, 4, 1.1); // loose clusters: some probes are missed
    const enrolled = faces.filter((_, i) => i % 3 === 0);
    const probes = faces.filter((_, i) => i % 3 !== 0);
    const distractors = [...randomUnitVectors(500, 32, 8)];
    const gallery = await createGallery({ ...client, close: async () => {} }, { model: { fingerprint: 'bench', dimension: 32 }, table: 'bench' });
    const phases = new Set<string>();
    const result = await benchGallery(gallery, {
      enrolled,
      probes,
      distractors,
      distractorSource: 'random unit vectors',
      maxRank: 5,
      fars: [1e-2, 1e-3, 1e-6],
      batchSize: 128,
      onProgress: (phase) => phases.add(phase),
    });
    const all = [...enrolled, ...distractors.map((embedding, i) => ({ identity: `distractor:${i}`, embedding }))];
    const ranks = probes.map((p) => {
      const r = referenceIdentify(all, p.embedding, 5).findIndex((m) => m.identity === p.identity);
      return r < 0 ? Infinity : r + 1;
    });
    expect(result.cmc.exact).toEqual(cumulativeMatchCurve(ranks, 5));
    expect(result.rank1.exact).toBeGreaterThan(0.3);
    expect(result.rank1.exact).toBeLessThan(1);
    expect(result.counts).toEqual({ identities: 40, enrolled: 40, probes: 80, distractors: 500, embeddings: 540 });
    expect(result.recall.top1).toBeGreaterThanOrEqual(0.95);
    expect(result.tarAtFar[2]!.tar).toBeNull(); // 80 × 539 impostor pairs cannot measure 1e-6
    expect(result.tarAtFar[0]!.tar).toBeGreaterThan(0);
    expect(result.timings.enrolPerSecond).toBeGreaterThan(0);
    expect(result.index).toEqual({ m: 16, efConstruction: 64, precision: 'single' });
    expect(result.efSearch).toBe(100);
    expect([...phases]).toEqual(['enrol', 'index', 'identify', 'exact']);
    await expect(benchGallery(gallery, { enrolled, probes, distractors: [], distractorSource: 'x' })).rejects.toThrow(/already holds 540/);
  });
});

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alignFace,
  alignmentMatrix,
  ARCFACE_TEMPLATE_112,
  arcfaceTemplate,
  DegenerateInputError,
  estimateSimilarityTransform,
  InvalidArgumentError,
  invertAffine,
  NotANumberError,
  ShapeMismatchError,
  transformPoints,
  warpAffine,
  type AffineMatrix,
  type Point,
} from '../index';

// Made by packages/testing/generators/umeyama.py: Umeyama by SVD in numpy, mirrored targets included.
const umeyama = JSON.parse(readFileSync(new URL('../../test/fixtures/umeyama.json', import.meta.url), 'utf8')) as {
  cases: Array<{ src: Point[]; dst: Point[]; matrix: number[][] }>;
};

const similarity = (s: number, phi: number, tx: number, ty: number): AffineMatrix => [
  [s * Math.cos(phi), -s * Math.sin(phi), tx],
  [s * Math.sin(phi), s * Math.cos(phi), ty],
];
const coordinate = fc.integer({ min: -30000, max: 30000 }).map((v) => v / 100);
const pointSet = fc.array(fc.tuple(coordinate, coordinate), { minLength: 2, maxLength: 12 });

function residual(m: AffineMatrix, src: readonly Point[], dst: readonly Point[]): number {
  return transformPoints(m, src).reduce((acc, [x, y], i) => acc + (x - dst[i]![0]) ** 2 + (y - dst[i]![1]) ** 2, 0);
}

describe('estimateSimilarityTransform', () => {
  it('recovers a known similarity exactly', () => {
    fc.assert(
      fc.property(
        pointSet,
        fc.double({ min: 0.05, max: 20, noNaN: true }),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        coordinate,
        coordinate,
        (src, s, phi, tx, ty) => {
          fc.pre(new Set(src.map((p) => p.join())).size > 1);
          const truth = similarity(s, phi, tx, ty);
          const m = estimateSimilarityTransform(src, transformPoints(truth, src));
          m.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(truth[r]![c]!, 7)));
        },
      ),
    );
  });

  it('maps the template to itself (identity)', () => {
    const m = estimateSimilarityTransform(ARCFACE_TEMPLATE_112, ARCFACE_TEMPLATE_112);
    expect(m[0][0]).toBeCloseTo(1, 14);
    expect(m[1][1]).toBeCloseTo(1, 14);
    for (const v of [m[0][1], m[1][0], m[0][2], m[1][2]]) expect(Math.abs(v)).toBeLessThan(1e-12);
    const m224 = alignmentMatrix(arcfaceTemplate(224), 224);
    expect(m224[0][0]).toBeCloseTo(1, 14);
    expect(Math.abs(m224[0][2])).toBeLessThan(1e-12);
  });

  it('equals Umeyama by SVD (numpy), mirrored targets included', () => {
    for (const c of umeyama.cases) {
      const m = estimateSimilarityTransform(c.src, c.dst);
      m.forEach((row, r) => row.forEach((v, k) => expect(Math.abs(v - c.matrix[r]![k]!)).toBeLessThan(1e-9)));
      // A similarity: [[a, −b], [b, a]], so never a reflection (det = a² + b² > 0).
      expect(m[1][1]).toBe(m[0][0]);
      expect(m[1][0]).toBe(-m[0][1]);
    }
  });

  it('leaves a least-squares residual: no nearby similarity does better', () => {
    fc.assert(
      fc.property(pointSet, pointSet, fc.tuple(coordinate, coordinate, coordinate, coordinate), (src, dst0, [da, db, dx, dy]) => {
        const n = Math.min(src.length, dst0.length);
        const s = src.slice(0, n);
        const d = dst0.slice(0, n);
        fc.pre(new Set(s.map((p) => p.join())).size > 1);
        let m: AffineMatrix;
        try {
          m = estimateSimilarityTransform(s, d);
        } catch (e) {
          expect(e).toBeInstanceOf(DegenerateInputError);
          return;
        }
        const [[a, , tx], [b, , ty]] = m;
        const e = 1e-3;
        const other: AffineMatrix = [
          [a + e * da, -(b + e * db), tx + e * dx],
          [b + e * db, a + e * da, ty + e * dy],
        ];
        const base = residual(m, s, d);
        expect(residual(other, s, d)).toBeGreaterThanOrEqual(base - 1e-9 * (1 + base));
      }),
    );
  });

  it('refuses mismatched, coincident and non-finite points', () => {
    expect(() => estimateSimilarityTransform([[0, 0]], [[0, 0], [1, 1]])).toThrow(ShapeMismatchError);
    expect(() => estimateSimilarityTransform([[1, 1], [1, 1]], [[0, 0], [1, 1]])).toThrow(DegenerateInputError);
    expect(() => estimateSimilarityTransform([[1, 1], [2, 2]], [[3, 3], [3, 3]])).toThrow(DegenerateInputError);
    expect(() => estimateSimilarityTransform([[1, Number.NaN], [2, 2]], [[0, 0], [1, 1]])).toThrow(NotANumberError);
    expect(() => estimateSimilarityTransform([[1, Number.NaN], [2, 2]], [[0, 0], [1, 1]])).toThrow(/src\[0\] is \(1, NaN\)/);
    expect(() => alignmentMatrix(ARCFACE_TEMPLATE_112.slice(0, 4))).toThrow(/expected 5 landmarks, got 4/);
    expect(() => alignmentMatrix(ARCFACE_TEMPLATE_112, 100)).toThrow(InvalidArgumentError);
  });
});

describe('arcfaceTemplate', () => {
  it('scales for multiples of 112 and centres in a 128 frame as insightface does', () => {
    expect(arcfaceTemplate(224)[0]).toEqual([38.2946 * 2, 51.6963 * 2]);
    expect(arcfaceTemplate(128)[2]).toEqual([56.0252 + 8, 71.7366]);
    expect(arcfaceTemplate(256)[4]).toEqual([70.7299 * 2 + 16, 92.2041 * 2]);
  });
});

describe('warpAffine', () => {
  const grey = (w: number, h: number, f: (x: number, y: number) => number) => ({
    data: Float32Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w))),
    width: w,
    height: h,
    channels: 1,
  });

  it('copies under the identity and shifts by whole pixels exactly, with a zero border', () => {
    const img = grey(5, 4, (x, y) => 10 * y + x);
    expect(Array.from(warpAffine(img, [[1, 0, 0], [0, 1, 0]], { width: 5, height: 4 }).data)).toEqual(Array.from(img.data));
    const shifted = warpAffine(img, [[1, 0, 2], [0, 1, -1]], { width: 5, height: 4 });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) {
        const sx = x - 2;
        const sy = y + 1;
        const expected = sx >= 0 && sx < 5 && sy < 4 ? 10 * sy + sx : 0;
        expect(shifted.data[y * 5 + x]).toBe(expected);
      }
    }
  });

  it('interpolates bilinearly: reproduces a linear ramp at fractional positions', () => {
    const img = grey(8, 8, (x, y) => 3 * x + 5 * y + 1);
    // Output (u, v) reads the source at (u/2 + 0.25, v/2 + 0.5): inside, a plane is reproduced exactly.
    const out = warpAffine(img, invertAffine([[0.5, 0, 0.25], [0, 0.5, 0.5]]), 12);
    for (let v = 0; v < 12; v++) {
      for (let u = 0; u < 12; u++) {
        const x = u / 2 + 0.25;
        const y = v / 2 + 0.5;
        if (x <= 7 && y <= 7) expect(out.data[v * 12 + u]).toBeCloseTo(3 * x + 5 * y + 1, 4);
      }
    }
  });

  it('rotates an RGB byte image by 90° as a permutation of its pixels', () => {
    const w = 6;
    const h = 4;
    const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    // (x, y) → (h − 1 − y, x): a quarter turn into an h×w image.
    const out = warpAffine({ data, width: w, height: h, channels: 3 }, [[0, -1, h - 1], [1, 0, 0]], { width: h, height: w });
    expect(out.data).toBeInstanceOf(Uint8Array);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < 3; k++) expect(out.data[(x * h + (h - 1 - y)) * 3 + k]).toBe(data[(y * w + x) * 3 + k]);
      }
    }
  });

  it('aligns a synthetic face: landmark blobs land on the template', () => {
    // Five bright dots at a rotated, scaled, shifted copy of the template in a 300×260 image.
    const truth = similarity(1.9, 0.3, 60, 20);
    const marks = transformPoints(truth, ARCFACE_TEMPLATE_112);
    const img = grey(300, 260, (x, y) =>
      marks.reduce((acc, [mx, my]) => acc + 255 * Math.exp(-((x - mx) ** 2 + (y - my) ** 2) / (2 * 4 ** 2)), 0),
    );
    const crop = alignFace(img, marks);
    expect([crop.width, crop.height]).toEqual([112, 112]);
    for (const [tx, ty] of ARCFACE_TEMPLATE_112) {
      // The brightest pixel near each template point is the one nearest to it.
      let best = [0, 0, -1];
      for (let y = Math.round(ty) - 4; y <= Math.round(ty) + 4; y++) {
        for (let x = Math.round(tx) - 4; x <= Math.round(tx) + 4; x++) {
          const v = crop.data[y * 112 + x]!;
          if (v > best[2]!) best = [x, y, v];
        }
      }
      expect(Math.abs(best[0]! - tx)).toBeLessThanOrEqual(1);
      expect(Math.abs(best[1]! - ty)).toBeLessThanOrEqual(1);
    }
  });

  it('refuses inconsistent buffers and singular matrices', () => {
    expect(() => warpAffine({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 }, [[1, 0, 0], [0, 1, 0]], 2)).toThrow(
      /2×2×1 image needs 4 values, got 5/,
    );
    expect(() => warpAffine(grey(2, 2, () => 0), [[1, 2, 0], [2, 4, 0]], 2)).toThrow(DegenerateInputError);
    expect(() => warpAffine(grey(2, 2, () => 0), [[1, 0, Number.NaN], [0, 1, 0]], 2)).toThrow(NotANumberError);
  });
});

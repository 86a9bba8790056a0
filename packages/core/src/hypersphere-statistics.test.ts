import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { expect, it } from 'vitest';
import { DegenerateInputError, hypersphereStatistics, InvalidArgumentError, ShapeMismatchError } from './index';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const angle = (a: number[], b: number[]) => {
  const c = unit(a).reduce((s, x, i) => s + x * unit(b)[i]!, 0);
  return (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI;
};
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Table 3's four statistics straight from their definitions, in float64. */
function reference(x: number[][], y: number[], w: number[][]) {
  const classes = [...new Set(y)].sort((a, b) => a - b);
  const centre = new Map(
    classes.map((j) => {
      const members = x.filter((_, i) => y[i] === j).map(unit);
      return [j, unit(members[0]!.map((_, k) => members.reduce((s, m) => s + m[k]!, 0)))];
    }),
  );
  return {
    wEC: mean(classes.map((j) => angle(w[j]!, centre.get(j)!))),
    wInter: mean(w.map((wj, j) => Math.min(...w.filter((_, k) => k !== j).map((wk) => angle(wj, wk))))),
    intra: mean(x.map((xi, i) => angle(xi, centre.get(y[i]!)!))),
    inter: mean(classes.map((j) => Math.min(...classes.filter((k) => k !== j).map((k) => angle(centre.get(j)!, centre.get(k)!))))),
  };
}

/** A small deterministic generator (mulberry32), so the random cases are the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeEachBackend('hypersphereStatistics', () => {
  it('gives 90° between orthogonal centres and 0° for samples on their centres', async () => {
    const w = [[1, 0, 0], [0, 2, 0], [0, 0, 3]];
    const x = tf.tensor2d([[5, 0, 0], [0, 1, 0], [0, 0, 0.5], [2, 0, 0]]);
    const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
    const centers = tf.tensor2d(w);
    const s = await expectNoLeak(() => hypersphereStatistics(x, labels, centers));
    expect(s.wInter).toBeCloseTo(90, 4);
    expect(s.inter).toBeCloseTo(90, 4);
    expect(s.wEC).toBeCloseTo(0, 4);
    expect(s.intra).toBeCloseTo(0, 4);
    expect(s.classesWithSamples).toBe(3);
    tf.dispose([x, labels, centers]);
  });

  it('measures samples spread ±30° around a centre and a centre 45° off', async () => {
    const r = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    // Class 0 around 0°, class 1 around 180°; W_0 at 45°, W_1 at 180°; class 2 has no samples.
    const x = tf.tensor2d([r(30), r(-30), r(150), r(210)]);
    const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
    const centers = tf.tensor2d([r(45), r(180), r(90)]);
    const s = await hypersphereStatistics(x, labels, centers);
    expect(s.intra).toBeCloseTo(30, 4);
    expect(s.wEC).toBeCloseTo((45 + 0) / 2, 4);
    expect(s.inter).toBeCloseTo(180, 3);
    expect(s.wInter).toBeCloseTo((45 + 90 + 45) / 3, 4);
    expect(s.classesWithSamples).toBe(2);
    tf.dispose([x, labels, centers]);
  });

  it('agrees with a float64 computation on random data', async () => {
    const rand = random(7);
    const [n, d, c] = [300, 16, 12];
    const w = Array.from({ length: c }, () => Array.from({ length: d }, () => rand() * 2 - 1));
    const y = Array.from({ length: n }, (_, i) => (i < c ? i : Math.floor(rand() * c)));
    // Samples near their class centre, so that the angles are small and ill-conditioned in cos.
    const x = y.map((j) => w[j]!.map((v) => v + (rand() - 0.5) * 0.6));
    const ref = reference(x, y, w);
    const [tx, ty, tw] = [tf.tensor2d(x), tf.tensor1d(y, 'int32'), tf.tensor2d(w)];
    const s = await expectNoLeak(() => hypersphereStatistics(tx, ty, tw));
    for (const key of ['wEC', 'wInter', 'intra', 'inter'] as const) {
      expect(Math.abs(s[key] - ref[key]), key).toBeLessThan(1e-4);
    }
    tf.dispose([tx, ty, tw]);
  });

  it('refuses labels out of range or not int32, mismatched shapes and a single class', async () => {
    const x = tf.tensor2d([[1, 0], [0, 1]]);
    const w = tf.tensor2d([[1, 0], [0, 1]]);
    const bad = tf.tensor1d([0, 2], 'int32');
    const float = tf.tensor1d([0, 1], 'float32');
    const one = tf.tensor1d([1, 1], 'int32');
    const short = tf.tensor1d([0], 'int32');
    await expect(hypersphereStatistics(x, bad, w)).rejects.toThrow(/labels\[1\] is 2, outside \[0, 2\)/);
    await expect(hypersphereStatistics(x, float, w)).rejects.toThrow(InvalidArgumentError);
    await expect(hypersphereStatistics(x, one, w)).rejects.toThrow(DegenerateInputError);
    await expect(hypersphereStatistics(x, short, w)).rejects.toThrow(ShapeMismatchError);
    tf.dispose([x, w, bad, float, one, short]);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, readGolden } from '@arcface/testing';
import { describe, expect, it } from 'vitest';
import { checkMargin, createMargin, listMargins, marginSoftmaxLoss, registerMargin } from './index';

interface GoldenCase {
  readonly name: string;
  readonly options: Record<string, number | string>;
  readonly theta: number[];
  readonly target: number[];
}

const golden = readGolden<{ cases: GoldenCase[] }>('margins.json').cases;

describe('page margins against the float64 golden file', () => {
  it.each(golden.map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))('%s', (_label, c) => {
    const margin = createMargin(c.name, c.options);
    let worst = 0;
    c.theta.forEach((theta, i) => {
      worst = Math.max(worst, Math.abs(margin.targetLogit(theta) - (c.target[i] as number)));
    });
    expect(worst).toBeLessThan(1e-12);
  });
});

describe('registry and checkMargin', () => {
  it('lists the built-ins and refuses unknown names, listing the known', () => {
    expect(listMargins()).toEqual(expect.arrayContaining(['additive-angular', 'additive-cosine', 'multiplicative-angular', 'combined', 'softmax-normalized']));
    expect(() => createMargin('arcfac')).toThrow(/'arcfac' is not registered; known: additive-angular/);
  });

  it('registers, clashes without override, unregisters', () => {
    const factory = () => createMargin('additive-cosine', { m: 0.1 });
    const unregister = registerMargin('page-test', factory);
    expect(listMargins()).toContain('page-test');
    expect(() => registerMargin('page-test', () => createMargin('softmax-normalized'))).toThrow(/override/);
    unregister();
    expect(listMargins()).not.toContain('page-test');
  });

  it('passes good margins and names the θ where bad ones fail', () => {
    expect(checkMargin(createMargin('additive-angular', { boundary: 'reflect' })).ok).toBe(true);
    expect(checkMargin(createMargin('additive-cosine')).ok).toBe(true);
    const none = checkMargin(createMargin('additive-angular', { m: 0.5, boundary: 'none' }));
    expect(none.ok).toBe(false);
    const monotone = none.violations.find((f) => f.law === 'monotone');
    // cos(θ + m) turns upwards once θ + m passes π.
    expect(monotone?.theta).toBeGreaterThan(Math.PI - 0.5);
    expect(monotone?.theta).toBeLessThan(Math.PI - 0.5 + 0.01);
  });
});

describeEachBackend('page margins: tensor form', () => {
  it('agrees with the float64 formula and is leak-free', async () => {
    for (const c of golden) {
      const margin = createMargin(c.name, c.options);
      // Stay away from θ = 0 and π, where float32 acos is ill-conditioned.
      const thetas = c.theta.filter((t) => t > 0.05 && t < Math.PI - 0.05);
      const cos = tf.tensor1d(thetas.map(Math.cos));
      const got = await expectNoLeak(() => margin.target!(cos, {}));
      const values = await got.data();
      got.dispose();
      cos.dispose();
      thetas.forEach((theta, i) => {
        const expected = margin.targetLogit(theta);
        // Float32 θ from acos near a branch edge can land on the other side: allow those few.
        const error = Math.abs((values[i] as number) - expected);
        if (error > 2e-3) expect.soft(error, `${c.name} at θ=${theta}`).toBeLessThan(2e-3);
      });
    }
  });

  it('loss is finite and leak-free; the margin raises it over softmax', async () => {
    const x = tf.tensor2d([[1, 0.2], [0.1, 1], [-1, 0.3]]);
    const w = tf.tensor2d([[1, 0], [0, 1], [-1, 0]]);
    const y = tf.tensor1d([0, 1, 2], 'int32');
    const arc = await expectNoLeak(() => marginSoftmaxLoss(x, w, y, createMargin('additive-angular', { s: 8 })));
    const plain = await expectNoLeak(() => marginSoftmaxLoss(x, w, y, createMargin('softmax-normalized', { s: 8 })));
    const [a, p] = [(await arc.data())[0] as number, (await plain.data())[0] as number];
    expect(Number.isFinite(a)).toBe(true);
    expect(a).toBeGreaterThan(p);
    tf.dispose([x, w, y, arc, plain]);
  });
});

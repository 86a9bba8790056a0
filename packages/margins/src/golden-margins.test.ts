import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectNoLeak, readGolden } from '@arcface/testing';
import { describe, expect, it } from 'vitest';
import { createMargin } from './registry';
import { sphereFaceLambda } from './sphereface-lambda';
import type { MarginOptions } from './margin-fn';

interface MarginCase {
  name: string;
  options: MarginOptions;
  theta: number[];
  target: number[];
  dtarget_dcos: Array<number | null>;
}

const golden = readGolden<{ cases: MarginCase[] }>('margins.json');
const lambdaGolden = readGolden<{
  cases: Array<{ options: { base: number; gamma: number; power: number; lambda_min: number }; steps: number[]; lambda: number[] }>;
}>('sphereface-lambda.json');
const label = (c: MarginCase) => `${c.name} ${JSON.stringify(c.options)}`;

/**
 * Relative error with a floor: the golden derivative passes through 0 (SphereFace at kπ/m,
 * ArcFace `none` at π − m), where a float32 result cannot be 1e-4 relative to ~1e-6. The floor
 * is 1e-3 of the case's largest |derivative|, the convention of the golden file's own
 * finite-difference check.
 */
function relativeError(actual: number, expected: number, floor: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), floor);
}

describe('margins.json in float64', () => {
  it('has the 19 cases the reference lists', () => {
    expect(golden.cases.length).toBe(19);
  });

  for (const c of golden.cases) {
    it(`targetLogit within 1e-9 and targetDerivative within 1e-6 relative: ${label(c)}`, () => {
      const margin = createMargin(c.name, c.options);
      c.theta.forEach((theta, i) => {
        expect(Math.abs(margin.targetLogit(theta) - (c.target[i] as number)), `θ = ${theta}`).toBeLessThan(1e-9);
      });
      const floor = 1e-3 * Math.max(...c.dtarget_dcos.map((d) => Math.abs(d ?? 0)));
      c.theta.forEach((theta, i) => {
        const expected = c.dtarget_dcos[i];
        if (expected === null || expected === undefined) return;
        const actual = margin.targetDerivative?.(Math.cos(theta)) as number;
        expect(relativeError(actual, expected, floor), `θ = ${theta}`).toBeLessThan(1e-6);
      });
    });
  }
});

describe('sphereface-lambda.json', () => {
  it('reproduces the λ schedule exactly (1e-9), directly and through the margin', () => {
    for (const c of lambdaGolden.cases) {
      const margin = createMargin('multiplicative-angular', { m: 4, ...c.options });
      c.steps.forEach((step, i) => {
        const expected = c.lambda[i] as number;
        expect(Math.abs(sphereFaceLambda(step, c.options) - expected)).toBeLessThan(1e-9);
        // At θ = 0, ψ = 1 and cos θ = 1, so t = 1 for every λ; at θ = π/2, ψ = −3 and t = −3/(1+λ).
        expect(Math.abs(margin.targetLogit(Math.PI / 2, step) - -3 / (1 + expected))).toBeLessThan(1e-9);
      });
    }
  });
});

describeEachBackend('margins.json through the float32 tensor path', () => {
  for (const c of golden.cases) {
    it(`target within 2e-5, dt/dc within 1e-4 relative where sin θ ≥ 0.05: ${label(c)}`, async () => {
      const margin = createMargin(c.name, c.options);
      const cosines = tf.tensor1d(c.theta.map((theta) => Math.cos(theta)));
      const target = await expectNoLeak(() => margin.target?.(cosines, {}) as tf.Tensor1D);
      const slope = await expectNoLeak(() => margin.targetGradient?.(cosines, {}) as tf.Tensor1D);
      const [values, slopes] = [await target.data(), await slope.data()];
      tf.dispose([cosines, target, slope]);
      const floor = 1e-3 * Math.max(...c.dtarget_dcos.map((d) => Math.abs(d ?? 0)));
      c.theta.forEach((theta, i) => {
        expect(Math.abs((values[i] as number) - (c.target[i] as number)), `t at θ = ${theta}`).toBeLessThan(2e-5);
        expect(Number.isFinite(slopes[i]), `dt/dc finite at θ = ${theta}`).toBe(true);
        const expected = c.dtarget_dcos[i];
        if (expected === null || expected === undefined || Math.sin(theta) < 0.05) return;
        expect(relativeError(slopes[i] as number, expected, floor), `dt/dc at θ = ${theta}`).toBeLessThan(1e-4);
      });
    });
  }
});

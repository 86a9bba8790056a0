import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, registerGradients } from '@arcface/testing';
import { beforeAll, expect, it } from 'vitest';
import { elasticPlusMargins } from '../test/float64-reference';
import { toMatrix } from '../test/helpers';
import { adaFace } from './adaface';
import { elasticFace } from './elastic-face';

// Values made in float64 with torch autograd by scripts/upstream-heads-float64.py, from the
// operations of the authors' files (ElasticFace utils/losses.py with plus=True, AdaFace head.py).
interface Fixture {
  elasticPlus: Array<{
    variant: 'arc' | 'cos';
    sigma: number;
    s: number;
    cos: number[][];
    labels: number[];
    margins: number[];
    assigned: number[];
    logits: number[][];
  }>;
  adaface: {
    options: { m: number; h: number; s: number; tAlpha: number; eps: number };
    labels: number[];
    weights: number[][];
    calls: Array<{ cos: number[][]; norms: number[]; logits: number[][]; gradient: number[][]; mean: number; std: number }>;
  };
}
const fixture = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'upstream-heads.json'), 'utf8'),
) as Fixture;

/** max |a − b| / max(|b|, 1) and max |a − b| over two matrices. */
function errors(actual: number[][], expected: number[][]): { relative: number; absolute: number } {
  let relative = 0;
  let absolute = 0;
  actual.forEach((row, i) =>
    row.forEach((a, j) => {
      const b = (expected[i] as number[])[j] as number;
      absolute = Math.max(absolute, Math.abs(a - b));
      relative = Math.max(relative, Math.abs(a - b) / Math.max(Math.abs(b), 1));
    }),
  );
  return { relative, absolute };
}

describeEachBackend('against the upstream heads in float64 (torch)', () => {
  beforeAll(registerGradients);

  for (const case_ of fixture.elasticPlus) {
    it(`ElasticFace-${case_.variant === 'arc' ? 'Arc' : 'Cos'}+ (plus: true) gives torch's logits to 1e-5 relative`, () => {
      // the TypeScript float64 reference of the rule agrees with torch's sort and gather
      const targets = case_.cos.map((row, i) => row[case_.labels[i] as number] as number);
      expect(elasticPlusMargins(targets, case_.margins, 'authors')).toEqual(case_.assigned);
      const margin = elasticFace({ variant: case_.variant, plus: true, margins: case_.margins, s: case_.s });
      const out = tf.tidy(() => margin.logits(tf.tensor2d(case_.cos), tf.tensor1d(case_.labels, 'int32'), { step: 0 }));
      const { relative } = errors(toMatrix(out), case_.logits);
      out.dispose();
      console.log(`ElasticFace-${case_.variant}+ logits: max relative error ${relative.toExponential(2)}`);
      expect(relative).toBeLessThan(1e-5);
    });
  }

  it('AdaFace gives torch’s logits, gradients and running μ/σ over three training calls, with non-target cosines at ±1', async () => {
    const { options, labels, weights, calls } = fixture.adaface;
    const margin = adaFace({ m: options.m, h: options.h, s: options.s, tAlpha: options.tAlpha, eps: options.eps });
    const l = tf.tensor1d(labels, 'int32');
    const w = tf.tensor2d(weights);
    const worst = { logits: 0, gradient: 0, state: 0 };
    for (const call of calls) {
      const norms = tf.tensor1d(call.norms);
      const c = tf.tensor2d(call.cos);
      // One training call gives the logits and their gradient: the state moves once per call.
      let logits: tf.Tensor2D | undefined;
      const gradient = tf.grad((x: tf.Tensor) => {
        const out = margin.logits(x as tf.Tensor2D, l, { featureNorms: norms, training: true });
        logits = tf.keep(out.clone());
        return tf.div(tf.sum(tf.mul(out, w)), options.s);
      })(c);
      worst.logits = Math.max(worst.logits, errors(toMatrix(logits as tf.Tensor2D), call.logits).absolute);
      worst.gradient = Math.max(worst.gradient, errors(toMatrix(gradient), call.gradient).absolute);
      const state = (await margin.readState!()) as { mean: number; std: number };
      worst.state = Math.max(worst.state, Math.abs(state.mean - call.mean) / call.mean, Math.abs(state.std - call.std) / call.std);
      tf.dispose([c, gradient, norms, logits as tf.Tensor2D]);
    }
    tf.dispose([l, w]);
    console.log(
      `AdaFace: max |Δ logits| ${worst.logits.toExponential(2)} (s = 64), max |Δ gradient| ${worst.gradient.toExponential(2)}, ` +
        `max relative Δ of μ/σ ${worst.state.toExponential(2)}`,
    );
    // float32 rounding of s·c at s = 64 is 64·6e-8 ≈ 4e-6
    expect(worst.logits).toBeLessThan(2e-5);
    expect(worst.gradient).toBeLessThan(1e-5);
    expect(worst.state).toBeLessThan(1e-6);
  });
});

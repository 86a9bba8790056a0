import * as tf from '@tensorflow/tfjs-core';
import { MarginAlreadyRegisteredError, createMargin, listMargins, marginSoftmaxLoss, registerMargin } from '@arcface/margins';
import { registerGradients, useBackend } from '@arcface/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { adaFace } from './adaface';
import { CONTRIB_MARGINS, registerContribMargins } from './register';

const names = Object.keys(CONTRIB_MARGINS);

describe('registerContribMargins', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await registerGradients();
  });

  it('registers nothing at import time, every margin when called, and unregisters them all', () => {
    for (const name of names) expect(listMargins()).not.toContain(name);
    const unregister = registerContribMargins();
    try {
      expect(listMargins()).toEqual(expect.arrayContaining(names));
      expect(registerContribMargins()).toBeTypeOf('function'); // the same factories again: a no-op
      for (const name of names) {
        const margin = createMargin(name as 'adaface', {});
        expect(margin.name).toBe(name);
        // name + options rebuild an equal margin (options are JSON)
        const rebuilt = createMargin(margin.name as 'adaface', JSON.parse(JSON.stringify(margin.options)));
        expect(rebuilt.options).toEqual(margin.options);
        for (const theta of [0.3, 1.4, 2.9]) expect(rebuilt.targetLogit(theta, 0)).toBe(margin.targetLogit(theta, 0));
      }
      expect(createMargin('curricularface', { m: 0.3 }).options.m).toBe(0.3);
    } finally {
      unregister();
    }
    for (const name of names) expect(listMargins()).not.toContain(name);
  });

  it('is all or nothing when a name is taken by another factory', () => {
    const other = (options?: Parameters<typeof adaFace>[0]) => adaFace(options);
    const unregisterOther = registerMargin('magface', other as never);
    try {
      expect(() => registerContribMargins()).toThrow(MarginAlreadyRegisteredError);
      expect(listMargins()).not.toContain('adaface');
      const undo = registerContribMargins({ override: true });
      expect(createMargin('magface').name).toBe('magface');
      undo();
      expect(createMargin('magface').name).toBe('adaface'); // the replaced factory is back
    } finally {
      unregisterOther();
    }
  });

  it('every margin trains a small problem by name: the loss falls within 25 SGD steps', () => {
    const unregister = registerContribMargins();
    try {
      for (const name of names) {
        const k = name === 'subcenter-arcface' ? 2 : 1;
        const margin = createMargin(name as string, name === 'subcenter-arcface' ? { k, s: 16 } : { s: 16 });
        const x = tf.variable(tf.randomNormal([12, 8], 0, 1, 'float32', 1)) as tf.Variable<tf.Rank.R2>;
        const w = tf.variable(tf.randomNormal([4 * k, 8], 0, 1, 'float32', 2)) as tf.Variable<tf.Rank.R2>;
        const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32');
        const optimizer = tf.train.sgd(name === 'magface' ? 0.5 : 0.2);
        const values: number[] = [];
        for (let step = 0; step < 25; step += 1) {
          const value = optimizer.minimize(() => marginSoftmaxLoss(x, w, labels, margin, { step, training: true }), true) as tf.Scalar;
          values.push(value.dataSync()[0] as number);
          value.dispose();
        }
        expect(values.every(Number.isFinite), name).toBe(true);
        expect(values.at(-1) as number, `${name}: ${values[0]} → ${values.at(-1)}`).toBeLessThan((values[0] as number) * 0.8);
        tf.dispose([x, w, labels]);
        optimizer.dispose();
      }
    } finally {
      unregister();
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@arcface/core';
import { describeEachBackend, expectNoLeak } from '@arcface/testing';
import { expect, it } from 'vitest';
import { InvalidLabelsError, NonFiniteInputError } from './errors';
import { marginLogits } from './margin-logits';
import { marginSoftmaxLoss } from './margin-softmax-loss';
import { meanTargetAngle } from './mean-target-angle';
import { createMargin } from './registry';
import { softmaxLoss } from './softmax-loss';

describeEachBackend('typed errors for bad loss inputs', () => {
  const margin = createMargin('additive-angular');
  const x = () => tf.tensor2d([[1, 0], [0, 1]]);
  const w = () => tf.tensor2d([[1, 0], [0, 1], [1, 1]]);

  const cases: Array<[string, () => tf.Tensor[], new (...args: never[]) => Error, string | RegExp, string]> = [
    ['labels out of range', () => [x(), w(), tf.tensor1d([0, 3], 'int32')], InvalidLabelsError, 'label 3 is outside [0, 3) for 3 classes', 'ERR_INVALID_LABELS'],
    ['negative labels', () => [x(), w(), tf.tensor1d([-1, 0], 'int32')], InvalidLabelsError, 'label -1 is outside [0, 3)', 'ERR_INVALID_LABELS'],
    ['float labels', () => [x(), w(), tf.tensor1d([0, 1], 'float32')], InvalidLabelsError, 'labels must be int32, got float32', 'ERR_INVALID_LABELS'],
    ['2-D labels', () => [x(), w(), tf.tensor2d([[0], [1]], [2, 1], 'int32')], InvalidLabelsError, 'labels must be 1-D [B], got shape [2,1]', 'ERR_INVALID_LABELS'],
    ['dimension mismatch', () => [x(), tf.tensor2d([[1, 0, 0]]), tf.tensor1d([0, 0], 'int32')], ShapeMismatchError, 'embeddings [2,2] and centers [1,3] differ in dimension (2 vs 3)', 'ERR_SHAPE_MISMATCH'],
    ['batch mismatch', () => [x(), w(), tf.tensor1d([0, 1, 2], 'int32')], ShapeMismatchError, 'labels [3] and embeddings [2,2] differ in batch size', 'ERR_SHAPE_MISMATCH'],
    ['1-D embeddings', () => [tf.tensor1d([1, 0]), w(), tf.tensor1d([0], 'int32')], InvalidArgumentError, 'embeddings must be 2-D, got shape [2]', 'ERR_INVALID_ARGUMENT'],
    ['3-D centres', () => [x(), tf.zeros([1, 3, 2]), tf.tensor1d([0, 0], 'int32')], InvalidArgumentError, 'centers must be 2-D, got shape [1,3,2]', 'ERR_INVALID_ARGUMENT'],
    ['NaN in embeddings', () => [tf.tensor2d([[1, Number.NaN], [0, 1]]), w(), tf.tensor1d([0, 1], 'int32')], NonFiniteInputError, 'embeddings contain NaN or Infinity', 'ERR_NON_FINITE_INPUT'],
    ['Infinity in centres', () => [x(), tf.tensor2d([[1, 0], [0, Infinity], [1, 1]]), tf.tensor1d([0, 1], 'int32')], NonFiniteInputError, 'centers contain NaN or Infinity', 'ERR_NON_FINITE_INPUT'],
  ];

  for (const [title, make, errorClass, message, code] of cases) {
    it(`${title}: ${errorClass.name}, naming the value, with no tensor left behind`, async () => {
      const [a, b, labels] = make() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      await expectNoLeak(() => {
        for (const call of [
          () => marginSoftmaxLoss(a, b, labels, margin),
          () => marginLogits(a, b, labels, margin),
          () => meanTargetAngle(a, b, labels),
        ]) {
          expect(call).toThrow(errorClass);
          expect(call).toThrow(message);
          try {
            call();
          } catch (error) {
            expect((error as { code: string }).code).toBe(code);
          }
        }
      });
      tf.dispose([a, b, labels]);
    });
  }

  it('refuses NaN rather than returning it; validate: false skips the read', async () => {
    const a = tf.tensor2d([[Number.NaN, 0], [0, 1]]);
    const b = w();
    const labels = tf.tensor1d([0, 1], 'int32');
    expect(() => marginSoftmaxLoss(a, b, labels, margin)).toThrow(NonFiniteInputError);
    const unchecked = marginSoftmaxLoss(a, b, labels, margin, { validate: false });
    expect(Number.isNaN((await unchecked.data())[0])).toBe(true);
    tf.dispose([a, b, labels, unchecked]);
  });

  it('checks the softmax head, its weights and its bias', () => {
    const labels = tf.tensor1d([0, 2], 'int32');
    expect(() => softmaxLoss(x(), w(), labels, tf.tensor1d([0, 0]))).toThrow(ShapeMismatchError);
    expect(() => softmaxLoss(x(), w(), labels, tf.tensor1d([0, 0]))).toThrow('bias [2] does not fit weights [3,2]; expected [3]');
    expect(() => softmaxLoss(x(), tf.tensor2d([[1, 0, 0]]), labels)).toThrow('embeddings [2,2] and weights [1,3] differ');
    tf.dispose(labels);
  });
});

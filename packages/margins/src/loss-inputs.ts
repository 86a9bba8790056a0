import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeMismatchError } from '@arcface/core';
import { InvalidLabelsError, NonFiniteInputError } from './errors';

/** The smallest and largest label of a batch, as {@link checkLossInputs} read them. */
export interface LabelRange {
  readonly low: number;
  readonly high: number;
}

/**
 * Checks what the losses take: embeddings [B, D] and class rows [C, D] in float32, int32
 * labels [B]. With `values`, also that every label lies in [0, C) and that neither matrix
 * holds NaN or ±Infinity, with one synchronous read of four numbers: the label range and
 * Σ x·0 per matrix (0 when all are finite, NaN otherwise, and it cannot overflow). Returns the
 * label range it read (undefined without `values`), so a caller can check the labels against
 * a narrower class count it learns later (a margin that pools sub-centres) without another read.
 */
export function checkLossInputs(
  where: string,
  embeddings: tf.Tensor,
  centers: tf.Tensor,
  labels: tf.Tensor,
  values: boolean,
  centersName = 'centers',
): LabelRange | undefined {
  checkMatrix(where, 'embeddings', embeddings);
  checkMatrix(where, centersName, centers);
  if (embeddings.shape[1] !== centers.shape[1]) {
    throw new ShapeMismatchError(
      `${where}: embeddings [${embeddings.shape}] and ${centersName} [${centers.shape}] differ in dimension ` +
        `(${embeddings.shape[1]} vs ${centers.shape[1]})`,
    );
  }
  if (labels.rank !== 1) {
    throw new InvalidLabelsError(`${where}: labels must be 1-D [B], got shape [${labels.shape}]`);
  }
  if (labels.dtype !== 'int32') {
    throw new InvalidLabelsError(`${where}: labels must be int32, got ${labels.dtype}`);
  }
  if (labels.shape[0] !== embeddings.shape[0]) {
    throw new ShapeMismatchError(
      `${where}: labels [${labels.shape}] and embeddings [${embeddings.shape}] differ in batch size`,
    );
  }
  if (!values) return undefined;
  const classes = centers.shape[0] as number;
  const summary = tf.tidy(() =>
    tf.stack([
      tf.cast(tf.min(labels), 'float32'),
      tf.cast(tf.max(labels), 'float32'),
      tf.sum(tf.mul(embeddings, 0)),
      tf.sum(tf.mul(centers, 0)),
    ]),
  );
  const [low, high, embeddingsCheck, centersCheck] = summary.dataSync() as Float32Array;
  summary.dispose();
  if ((low as number) < 0 || (high as number) >= classes) {
    const bad = (low as number) < 0 ? low : high;
    throw new InvalidLabelsError(`${where}: label ${bad} is outside [0, ${classes}) for ${classes} classes`);
  }
  if (embeddingsCheck !== 0) throw new NonFiniteInputError(`${where}: embeddings contain NaN or Infinity`);
  if (centersCheck !== 0) throw new NonFiniteInputError(`${where}: ${centersName} contain NaN or Infinity`);
  return { low: low as number, high: high as number };
}

function checkMatrix(where: string, name: string, x: tf.Tensor): void {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`${where}: ${name} must be a tf.Tensor, got ${typeof x}`);
  if (x.rank !== 2) throw new InvalidArgumentError(`${where}: ${name} must be 2-D, got shape [${x.shape}]`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`${where}: ${name} must be float32, got ${x.dtype}`);
  if (x.size === 0) throw new InvalidArgumentError(`${where}: ${name} is empty, shape [${x.shape}]`);
}

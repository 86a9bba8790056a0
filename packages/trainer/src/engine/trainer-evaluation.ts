import * as tf from '@tensorflow/tfjs-core';
import { evaluateVerification, hypersphereStatistics, verificationDistances } from '@arcface/core';
import { createDataPipeline, type FaceDataset } from '@arcface/data';
import { embedImages, evaluationPlan } from '../evaluation/embed';
import type { VerificationSet } from '../evaluation/verification-set';
import type { ResolvedTrainer } from './configure-trainer';
import type { TrainingState } from './training-state';
import type { EvaluationReport, SetEvaluation } from './trainer-events';

/**
 * Evaluation during training: insightface's verification protocol on each configured set
 * (flip-summed embeddings unless turned off), and the paper's Table 3 angle statistics on an
 * evenly spaced sample of the training set.
 */
export function trainerEvaluation(run: ResolvedTrainer, state: TrainingState): (sets?: readonly VerificationSet[]) => Promise<EvaluationReport> {
  const { model, head, height, width, numClasses } = run;
  const { data } = run.config;
  const settings = run.config.evaluation;

  const embedDataset = async (dataset: VerificationSet['dataset'], indices: readonly number[], flip: boolean): Promise<tf.Tensor2D> => {
    const evalBatch = settings?.batchSize ?? 64;
    const loader = createDataPipeline(asDataset(dataset), { batchSize: 1, inputSize: [height, width], shuffle: false, augment: false, prefetch: 0 });
    const parts: tf.Tensor2D[] = [];
    // Batch norm folded into the convolutions for the whole pass (MobileFaceNet: ~15% faster).
    const plan = evaluationPlan(model);
    const forward = plan === undefined ? undefined : (x: tf.Tensor4D) => plan.predict(x);
    try {
      for (let start = 0; start < indices.length; start += evalBatch) {
        const chunk = indices.slice(start, start + evalBatch);
        const { pixels } = await loader.load(chunk);
        const images = tf.tensor4d(pixels, [chunk.length, height, width, 3]);
        parts.push(embedImages(model, images, forward === undefined ? { flip } : { flip, forward }));
        images.dispose();
      }
    } finally {
      plan?.dispose();
    }
    const all = tf.concat(parts) as tf.Tensor2D;
    tf.dispose(parts);
    return all;
  };

  return async (sets = settings?.sets ?? []) => {
    const flip = settings?.flip ?? true;
    const results: SetEvaluation[] = [];
    for (const set of sets) {
      const unique = [...new Set([...set.first, ...set.second])].sort((a, b) => a - b);
      const position = new Map(unique.map((v, i) => [v, i]));
      const embeddings = await embedDataset(set.dataset, unique, flip);
      const distances = tf.tidy(() => {
        const a = tf.gather(embeddings, set.first.map((i) => position.get(i) as number)) as tf.Tensor2D;
        const b = tf.gather(embeddings, set.second.map((i) => position.get(i) as number)) as tf.Tensor2D;
        return verificationDistances(a, b);
      });
      const values = await distances.data();
      tf.dispose([embeddings, distances]);
      results.push({ name: set.name, pairs: set.isSame.length, verification: evaluateVerification(values, set.isSame, { folds: set.folds ?? 10 }) });
    }
    const samples = Math.min(settings?.statisticsSamples ?? 256, data.length);
    let statistics: EvaluationReport['statistics'];
    if (samples > 0) {
      const indices = Array.from({ length: samples }, (_, i) => Math.floor((i * data.length) / samples));
      const sampled = Int32Array.from(indices, (i) => data.label(i));
      // Table 3 needs two centres and samples of two classes (W-Inter, Inter); fewer: none.
      if (numClasses >= 2 && new Set(sampled).size >= 2) {
        const embeddings = await embedDataset(data, indices, false);
        const centers = head.centers();
        const labels = tf.tensor1d(sampled, 'int32');
        try {
          statistics = await hypersphereStatistics(embeddings, labels, centers);
        } finally {
          tf.dispose([embeddings, centers, labels]);
        }
      }
    }
    return { step: state.step, sets: results, ...(statistics ? { statistics } : {}) };
  };
}

/** Verification sets may carry only images; the loader needs labels it never reads. */
function asDataset(dataset: VerificationSet['dataset']): FaceDataset {
  return {
    length: dataset.length,
    numClasses: dataset.numClasses ?? 1,
    label: (i) => dataset.label?.(i) ?? 0,
    loadImage: (i) => dataset.loadImage(i),
  };
}

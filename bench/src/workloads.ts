import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkpointedModel, compileInference, iresnet, mobileFaceNet } from '@arcface/backbones';
import { createMargin, marginSoftmaxLoss } from '@arcface/margins';
import { medianMs } from './timing';

/** One measured row, before the PyTorch ratio is attached. */
export interface Measurement {
  readonly workload: 'margin-head' | 'train-step' | 'inference' | 'imported-inference';
  readonly backend: string;
  readonly detail: string;
  readonly ms?: number;
  readonly imagesPerSecond?: number;
  readonly note?: string;
  /** 'compiled': inference through `compileInference` (batch norm folded), against PyTorch's conv+BN fusion. */
  readonly variant?: 'compiled';
}

const arcface = () => createMargin('additive-angular');

/**
 * Untimed runs before the head's timed ones, here and in torch_reference.py: a head step is
 * short, and V8 compiles hot wasm functions with its optimising tier only after a first run or
 * two on the baseline one (the first head after a backend starts measured 45 against 28 ms).
 */
const HEAD_WARMUPS = 3;

/** (a) Normalise, cosines against row-stored centres, ArcFace, softmax cross-entropy; ∂/∂x and ∂/∂W. */
export async function marginHead(backend: string, classes: number, reps: number, label = ''): Promise<Measurement> {
  const x = tf.randomNormal([256, 512], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([classes, 512], 0, 1, 'float32', 2) as tf.Tensor2D;
  const labels = tf.randomUniform([256], 0, classes, 'int32', 3) as tf.Tensor1D;
  const margin = arcface();
  const lossGrads = tf.valueAndGrads((xs: tf.Tensor, ws: tf.Tensor) => marginSoftmaxLoss(xs as tf.Tensor2D, ws as tf.Tensor2D, labels, margin, { validate: false }));
  try {
    const ms = await medianMs(
      reps,
      () => {
        const { value, grads } = lossGrads([x, w]);
        // A scalar from each gradient is enough to wait on all of them.
        return [value, tf.sum(tf.slice(grads[0]!, [0, 0], [1, 8])), tf.sum(tf.slice(grads[1]!, [0, 0], [1, 8]))];
      },
      HEAD_WARMUPS,
    );
    return { workload: 'margin-head', backend, detail: `B=256 D=512 C=${classes}${label}`, ms };
  } finally {
    tf.dispose([x, w, labels]);
  }
}

export function buildNetwork(name: string, side: number): tfl.LayersModel {
  if (name === 'mobilefacenet') return mobileFaceNet({ inputShape: [side, side, 3] });
  if (name === 'iresnet18') return iresnet(18, { inputShape: [side, side, 3] });
  throw new Error(`unknown network '${name}' (mobilefacenet, iresnet18)`);
}

/** A ready training step: `run` does one step and returns the loss; `dispose` frees it all. */
export interface PreparedTrainStep {
  readonly detail: string;
  /** Segments of the gradient-checkpointed forward pass; undefined when not checkpointed. */
  readonly checkpointSegments: number | undefined;
  run(): tf.Tensor[];
  dispose(): void;
}

/** Backbone forward, ArcFace head over 1000 classes, backward, SGD-momentum update. */
export function prepareTrainStep(network: string, batch: number, side: number, checkpoints: 'none' | 'default' | 'blocks' | number = 'none'): PreparedTrainStep {
  const model = buildNetwork(network, side);
  const forward =
    checkpoints === 'none' ? undefined : checkpointedModel(model, checkpoints === 'default' ? {} : { segments: checkpoints });
  const images = tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 4);
  const centres = tf.variable(tf.randomNormal([1000, 512], 0, 1, 'float32', 5), true, `bench_centres_${network}_${Date.now()}`);
  const labels = tf.randomUniform([batch], 0, 1000, 'int32', 6) as tf.Tensor1D;
  const optimizer = tf.train.momentum(0.01, 0.9);
  const margin = arcface();
  return {
    detail: `${network} ${side}×${side} B=${batch}`,
    checkpointSegments: forward?.segments,
    run() {
      const loss = optimizer.minimize(() => {
        const embeddings = (forward ?? model).apply(images, { training: true }) as tf.Tensor2D;
        return marginSoftmaxLoss(embeddings, centres as tf.Tensor2D, labels, margin, { training: true, validate: false });
      }, true);
      return [loss!];
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([images, centres, labels]);
      model.dispose();
    },
  };
}

/** (b) One SGD-momentum training step, timed. */
export async function trainStep(
  backend: string,
  network: string,
  batch: number,
  side: number,
  reps: number,
  checkpoints: 'none' | 'default' | 'blocks' | number = 'none',
): Promise<Measurement> {
  const step = prepareTrainStep(network, batch, side, checkpoints);
  try {
    const ms = await medianMs(reps, () => step.run());
    const note = step.checkpointSegments === undefined ? undefined : `gradient checkpoints: ${step.checkpointSegments} segments`;
    return { workload: 'train-step', backend, detail: step.detail, ms, ...(note === undefined ? {} : { note }) };
  } finally {
    step.dispose();
  }
}

/**
 * (c) Embedding inference in eval mode: `model.predict`, or (`compiled`) the fused plan of
 * `compileInference`, batch norm folded into the convolutions as PyTorch's `fx` fusion does.
 */
export async function inference(backend: string, network: string, batch: number, side: number, reps: number, compiled = false): Promise<Measurement> {
  const model = buildNetwork(network, side);
  const plan = compiled ? compileInference(model) : undefined;
  const images = tf.randomNormal([batch, side, side, 3], 0, 1, 'float32', 7);
  try {
    const ms = await medianMs(reps, () => [(plan ?? model).predict(images) as tf.Tensor]);
    const detail = `${network} ${side}×${side} B=${batch}${compiled ? ', compiled' : ''}`;
    const summary = plan?.summary;
    const note =
      summary === undefined
        ? undefined
        : `compileInference: ${summary.foldedBatchNorms + summary.batchNormsFoldedIntoNextDense} BN folded, ${summary.fusedActivations} activations and ${summary.fusedPaddings} paddings fused, ${summary.standaloneBatchNorms} BN left as multiply-add`;
    return {
      workload: 'inference',
      backend,
      detail,
      ms,
      imagesPerSecond: (batch / ms) * 1000,
      ...(compiled ? { variant: 'compiled' as const } : {}),
      ...(note === undefined ? {} : { note }),
    };
  } finally {
    images.dispose();
    plan?.dispose();
    model.dispose();
  }
}

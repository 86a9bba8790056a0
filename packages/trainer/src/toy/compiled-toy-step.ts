import * as tf from '@tensorflow/tfjs-core';
import { compileTrainingStep, UncompilableModelError, type CompiledStepSummary, type GraphOp, type GraphParam } from '@arcface/backend';
import { compileMargin } from '../engine/compiled/margin-wgsl';
import type { ToyNet } from './toy-net';

/** A toy network's training step compiled for WebGPU. */
export interface CompiledToyStep {
  readonly summary: CompiledStepSummary;
  /** One Adam update on `inputs` [batch, inputSize] and `labels`; resolves to the loss. */
  run(inputs: Float32Array, labels: Int32Array, step: number): Promise<number>;
  dispose(): void;
}

/**
 * The toy's step (three dense layers with ReLU, the margin head, Adam as `tf.train.adam`) as one
 * compiled WebGPU submission, on the active webgpu backend. Its weights stay the net's
 * variables (mirrored after every step, so `embed` sees them); Adam's moments live in the
 * compiled step. Throws UncompilableModelError for a softmax head or a margin it has no WGSL
 * form of (custom margins train eagerly).
 */
export async function compileToyStep(net: ToyNet, batch: number): Promise<CompiledToyStep> {
  if (net.head.kind !== 'margin') throw new UncompilableModelError('the toy softmax head (with a bias) is not compiled');
  const margin = compileMargin(net.head.margin);
  const { inputSize, hidden, dimension, classes } = net.shape;
  const slots: tf.Variable[] = [];
  const slotsOf = (v: tf.Variable) => {
    const own = [0, 1].map(() => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
    slots.push(...own);
    return own;
  };
  const layers = net.layers;
  const params: GraphParam[] = layers.map((variable, i) => ({ name: `toy/${i % 2 === 0 ? 'kernel' : 'bias'}${Math.floor(i / 2) + 1}`, variable, role: 'backbone', slots: slotsOf(variable) }));
  params.push({ name: 'toy/centers', variable: net.centers, role: 'centers', slots: slotsOf(net.centers) });
  // Tensors: input, then each layer's dense output and (but the last) its ReLU.
  const tensors = [[batch, inputSize], [batch, hidden], [batch, hidden], [batch, hidden], [batch, hidden], [batch, dimension]];
  const ops: GraphOp[] = [
    { kind: 'dense', x: 0, y: 1, kernel: 0, bias: 1 },
    { kind: 'relu', x: 1, y: 2 },
    { kind: 'dense', x: 2, y: 3, kernel: 2, bias: 3 },
    { kind: 'relu', x: 3, y: 4 },
    { kind: 'dense', x: 4, y: 5, kernel: 4, bias: 5 },
  ];
  try {
    const compiled = await compileTrainingStep({
      tensors,
      input: 0,
      embeddings: 5,
      ops,
      params,
      head: { centers: params.length - 1, classes, margin: margin.margin },
      // tf.train.adam's defaults: β1 0.9, β2 0.999, ε the engine's 1e-7, no weight decay.
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
    });
    return {
      summary: compiled.summary,
      async run(inputs, labels, step) {
        const result = await compiled.run({ images: inputs, labels, learningRate: net.learningRate, step: step + 1, marginParameter: margin.parameter(step) });
        return result.loss;
      },
      dispose() {
        compiled.dispose();
        tf.dispose(slots);
      },
    };
  } catch (error) {
    tf.dispose(slots);
    throw error;
  }
}

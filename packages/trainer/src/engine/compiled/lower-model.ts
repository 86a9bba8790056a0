import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GROUPED_SUFFIXES, sortLayerCalls } from '@arcface/backbones';
import { UncompilableModelError, type GraphOp, type GraphParam } from '@arcface/backend';

type SymbolicTensor = tfl.SymbolicTensor;
type Layer = SymbolicTensor['sourceLayer'];
type LayerVariable = Layer['weights'][number];
type Config = Record<string, unknown>;

/** The backbone part of a training graph. */
export interface LoweredBackbone {
  readonly tensors: number[][];
  readonly input: number;
  readonly embeddings: number;
  readonly ops: GraphOp[];
  readonly params: GraphParam[];
  /** The tfjs variable of each param, to find its optimiser slots. */
  readonly variables: tf.Variable[];
}

/**
 * A tfjs-layers backbone as compiled-step ops, for a fixed batch size. Knows the layers the
 * backbones of `@arcface/backbones` are made of (Conv2D, DepthwiseConv2D and the grouped
 * convolution built from it, BatchNormalization, PReLU, Add, Dense, ZeroPadding2D, Flatten,
 * Reshape, Dropout at rate 0, Rescaling); any other layer is refused by name.
 */
export function lowerBackbone(model: tfl.LayersModel, batch: number): LoweredBackbone {
  const { input, output, calls } = sortLayerCalls(model, 'compiled training step');
  const tensors: number[][] = [];
  const ids = new Map<number, number>();
  const shapeFor = (t: SymbolicTensor) => [batch, ...(t.shape.slice(1) as number[])];
  const idOf = (t: SymbolicTensor): number => {
    let id = ids.get(t.id);
    if (id === undefined) {
      id = tensors.length;
      tensors.push(shapeFor(t));
      ids.set(t.id, id);
    }
    return id;
  };
  const params: GraphParam[] = [];
  const variables: tf.Variable[] = [];
  const paramIndex = new Map<LayerVariable, number>();
  const param = (layer: Layer, suffix: string, role: 'weight' | 'statistic' = 'weight'): number => {
    const weight = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
    if (weight === undefined) throw new UncompilableModelError(`layer '${layer.name}' has no weight '${suffix}'`);
    let index = paramIndex.get(weight);
    if (index === undefined) {
      index = params.length;
      const variable = weight.read() as tf.Variable;
      params.push({ name: weight.originalName, variable, role: role === 'statistic' ? 'statistic' : weight.trainable ? 'backbone' : 'frozen' });
      variables.push(variable);
      paramIndex.set(weight, index);
    }
    return index;
  };

  const ops: GraphOp[] = [];
  const inputId = idOf(input);
  // ZeroPadding2D outputs read only by the convolution after them: [source tensor, top, left].
  const padded = new Map<number, { source: number; top: number; left: number }>();
  // Layer calls a grouped convolution stands for.
  const skipped = new Set<Layer>();
  const byName = new Map(model.layers.map((l) => [l.name, l]));

  for (const call of calls) {
    const { layer } = call;
    if (skipped.has(layer)) continue;
    const config = layer.getConfig() as Config;
    const className = layer.getClassName();
    const refuse = (why: string): never => {
      throw new UncompilableModelError(`layer '${layer.name}' (${className}): ${why}`);
    };
    if (call.inputs.length !== 1 && className !== 'Add') refuse(`expected one input, got ${call.inputs.length}`);
    const x = call.inputs[0] as SymbolicTensor;
    const y = call.outputs[0] as SymbolicTensor;
    const linear = () => {
      if (config['activation'] !== undefined && config['activation'] !== 'linear') refuse(`activation '${JSON.stringify(config['activation'])}' is not compiled`);
    };
    switch (className) {
      case 'Rescaling':
        ops.push({ kind: 'rescale', x: idOf(x), y: idOf(y), scale: Number(config['scale']), offset: Number(config['offset']) });
        break;
      case 'ZeroPadding2D': {
        const padding = config['padding'] as [[number, number], [number, number]];
        padded.set(idOf(y), { source: idOf(x), top: padding[0][0], left: padding[1][0] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        linear();
        if (config['useBias']) refuse('a bias is not compiled (the backbones use bias-free convolutions)');
        if (config['dataFormat'] !== undefined && config['dataFormat'] !== 'channelsLast') refuse('only channelsLast is compiled');
        const dilation = config['dilationRate'] as number[] | number | undefined;
        if (dilation !== undefined && [dilation].flat().some((d) => d !== 1)) refuse('dilation is not compiled');
        const kernel = config['kernelSize'] as [number, number];
        const stride = config['strides'] as [number, number];
        const inShape = shapeFor(x);
        const inChannels = inShape[3] as number;
        let source = idOf(x);
        let padding: [number, number] = [0, 0];
        const pad = padded.get(source);
        if (pad !== undefined) {
          source = pad.source;
          padding = [pad.top, pad.left];
        } else if (config['padding'] === 'same') {
          padding = [samePadding(inShape[1] as number, kernel[0], stride[0]), samePadding(inShape[2] as number, kernel[1], stride[1])];
        }
        let out = y;
        let groups = 1;
        const filter = param(layer, className === 'Conv2D' ? 'kernel' : 'depthwise_kernel');
        if (className === 'DepthwiseConv2D') {
          groups = inChannels;
          // The grouped convolution of @arcface/backbones: depthwise, split, crop, add, merge.
          const split = byName.get(`${layer.name}${GROUPED_SUFFIXES.split}`);
          if (split !== undefined) {
            const perGroup = (split.getConfig()['targetShape'] as number[])[1] as number;
            const merge = byName.get(`${layer.name}${GROUPED_SUFFIXES.merge}`);
            const sum = byName.get(`${layer.name}${GROUPED_SUFFIXES.sum}`);
            if (merge === undefined || sum === undefined) refuse('a grouped convolution without its merge layers');
            skipped.add(split);
            skipped.add(sum as Layer);
            skipped.add(merge as Layer);
            for (let j = 0; j < perGroup; j++) {
              const part = byName.get(`${layer.name}${GROUPED_SUFFIXES.part}${j}`);
              if (part === undefined) refuse(`grouped convolution part ${j} is missing`);
              skipped.add(part as Layer);
            }
            groups = inChannels / perGroup;
            out = (merge as Layer).inboundNodes[0]?.outputTensors[0] as SymbolicTensor;
          }
        }
        ops.push({ kind: 'conv', x: source, y: idOf(out), filter, kernel, stride, padding, groups });
        break;
      }
      case 'BatchNormalization': {
        const axis = config['axis'];
        if (axis !== -1 && axis !== x.shape.length - 1) refuse('only the last axis is compiled');
        ops.push({
          kind: 'batchNorm',
          x: idOf(x),
          y: idOf(y),
          ...(config['scale'] !== false ? { gamma: param(layer, 'gamma') } : {}),
          ...(config['center'] !== false ? { beta: param(layer, 'beta') } : {}),
          movingMean: param(layer, 'moving_mean', 'statistic'),
          movingVariance: param(layer, 'moving_variance', 'statistic'),
          epsilon: Number(config['epsilon']),
          momentum: Number(config['momentum']),
        });
        break;
      }
      case 'PReLU': {
        const alpha = param(layer, 'alpha');
        const channels = x.shape[x.shape.length - 1] as number;
        if (params[alpha]?.variable.size !== channels) refuse('only one slope per channel is compiled');
        ops.push({ kind: 'prelu', x: idOf(x), y: idOf(y), alpha });
        break;
      }
      case 'Add':
        if (call.inputs.length !== 2) refuse(`only two inputs are compiled, got ${call.inputs.length}`);
        ops.push({ kind: 'add', a: idOf(call.inputs[0] as SymbolicTensor), b: idOf(call.inputs[1] as SymbolicTensor), y: idOf(y) });
        break;
      case 'Dense':
        linear();
        if (x.shape.length !== 2) refuse('only [batch, features] inputs are compiled');
        ops.push({ kind: 'dense', x: idOf(x), y: idOf(y), kernel: param(layer, 'kernel'), ...(config['useBias'] ? { bias: param(layer, 'bias') } : {}) });
        break;
      case 'Flatten':
      case 'Reshape':
        ops.push({ kind: 'reshape', x: idOf(x), y: idOf(y) });
        break;
      case 'Dropout':
        if (Number(config['rate']) !== 0) refuse('dropout is not compiled (build the backbone with dropout 0)');
        ops.push({ kind: 'reshape', x: idOf(x), y: idOf(y) });
        break;
      default:
        refuse('no compiled kernel for this layer');
    }
  }
  for (const op of ops) {
    const reads = op.kind === 'add' ? [op.a, op.b] : [op.x];
    if (reads.some((t) => padded.has(t))) throw new UncompilableModelError('a ZeroPadding2D output is read by something other than a convolution');
  }
  return { tensors, input: inputId, embeddings: idOf(output), ops, params, variables };
}

/** TF's 'same' padding before the first row (or column): half the total, rounded down. */
function samePadding(size: number, kernel: number, stride: number): number {
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2);
}

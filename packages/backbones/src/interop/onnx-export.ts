import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UnsupportedModelError } from '../errors';
import { GROUPED_SUFFIXES } from '../layers';
import { inputPreprocessing, isArcfacePreprocessing, PREPROCESSING_LAYER } from './preprocessing';
import { ProtoWriter } from './protobuf';

/** Opset of the exported graph: every op used here has had its current form since 13. */
export const EXPORT_OPSET = 13;
export const ONNX_INPUT = 'input.1';
export const ONNX_OUTPUT = 'embedding';

export interface OnnxExportOptions {
  /** Recorded as the graph name. Defaults to the model's name. */
  readonly graphName?: string;
  /** `producer_version` in the file. */
  readonly producerVersion?: string;
}

interface LayerNode {
  readonly layer: tfl.layers.Layer;
  readonly inputs: readonly string[];
}

type Attribute = { readonly name: string } & ({ readonly i: number } | { readonly f: number } | { readonly ints: readonly number[] });

/**
 * Writes a backbone as an ONNX `ModelProto` the way PyTorch's exporter lays out arcface_torch's
 * models: NCHW input `input.1` [N, 3, H, W] with a symbolic batch, output `embedding` [N, D],
 * Conv (grouped convolutions as one Conv with `group`), BatchNormalization, PRelu, Add, Flatten
 * and Gemm, opset 13, weights as raw little-endian float32. The input is arcface_torch's
 * (x − 127.5) / 127.5 of RGB pixels; a model that carries another normalisation (imported from
 * a file with `Sub`/`Mul` input nodes) gets those nodes back and takes raw 0…255 pixels, which
 * is what insightface's own loader checks for.
 *
 * Layers outside iResNet, MobileFaceNet and their building blocks throw
 * {@link UnsupportedModelError} naming the layer.
 */
export async function exportOnnx(model: tfl.LayersModel, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const nodes = graphOf(model);
  const graph = new ProtoWriter();
  const initializers: ProtoWriter[] = [];
  const alias = new Map<string, string>();
  const name = (layerName: string): string => alias.get(layerName) ?? layerName;
  const padsFor = new Map<string, number>();
  const flattenFor = new Map<string, { channels: number; positions: number }>();
  const skip = new Set<string>();
  const consumers = new Map<string, LayerNode[]>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  let inputShape: number[] = [];

  const constant = (base: string, dims: readonly number[], values: ArrayLike<number>): string => {
    const tensorName = `${base}`;
    const data = Float32Array.from(values);
    initializers.push(
      new ProtoWriter()
        .ints(1, dims)
        .int(2, 1)
        .string(8, tensorName)
        .bytes(9, new Uint8Array(data.buffer)),
    );
    return tensorName;
  };
  const node = (op: string, inputs: readonly string[], output: string, nodeName: string, attributes: readonly Attribute[] = []) => {
    const w = new ProtoWriter();
    for (const i of inputs) w.string(1, i);
    w.string(2, output).string(3, nodeName).string(4, op);
    for (const a of attributes) {
      const attr = new ProtoWriter().string(1, a.name);
      if ('i' in a) attr.int(3, a.i).int(20, 2);
      else if ('f' in a) attr.float(2, a.f).int(20, 1);
      else attr.ints(8, a.ints).int(20, 7);
      w.message(5, attr);
    }
    graph.message(1, w);
  };
  // Read asynchronously: a synchronous read fails on WebGPU (and blocks the thread elsewhere).
  const values = async (t: tf.Tensor): Promise<Float32Array> => (await t.data()) as Float32Array;

  for (const n of nodes) {
    const layer = n.layer;
    const cls = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const out = layer.name;
    const x = n.inputs.length > 0 ? name(n.inputs[0]!) : '';
    if (skip.has(out)) continue;
    const weights = layer.getWeights();
    switch (cls) {
      case 'InputLayer': {
        const shape = (config['batchInputShape'] as number[]).slice(1);
        if (shape.length !== 3) throw new UnsupportedModelError(out, cls, 'only image inputs [height, width, channels] export');
        inputShape = shape;
        alias.set(out, ONNX_INPUT);
        break;
      }
      case 'Rescaling': {
        if (out !== PREPROCESSING_LAYER || name(n.inputs[0]!) !== ONNX_INPUT) throw new UnsupportedModelError(out, cls, 'only the input preprocessing layer exports');
        const p = inputPreprocessing(model);
        if (isArcfacePreprocessing(p)) {
          alias.set(out, ONNX_INPUT);
          break;
        }
        // Raw 0…255 input normalised in the graph, as MXNet-converted insightface models do. The
        // node names start with 'Sub' and 'Mul': insightface's ArcFaceONNX looks for exactly that
        // among the first nodes to decide that the model takes raw pixels.
        node('Sub', [ONNX_INPUT, constant(`${out}_mean`, [], [p.mean])], `${out}_centred`, 'Sub_input_preprocessing');
        node('Mul', [`${out}_centred`, constant(`${out}_scale`, [], [1 / p.std])], out, 'Mul_input_preprocessing');
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = config['padding'] as [[number, number], [number, number]];
        const next = consumers.get(out) ?? [];
        const onlyConv = next.length === 1 && ['Conv2D', 'DepthwiseConv2D'].includes(next[0]!.layer.getClassName());
        if (!onlyConv || top !== bottom || left !== right || top !== left) throw new UnsupportedModelError(out, cls, 'only symmetric padding in front of a convolution exports');
        padsFor.set(next[0]!.layer.name, top);
        alias.set(out, x);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (config['activation'] !== 'linear') throw new UnsupportedModelError(out, cls, `activation '${String(config['activation'])}' inside a convolution does not export`);
        const [kh, kw, cin, last] = weights[0]!.shape as [number, number, number, number];
        const strides = config['strides'] as number[];
        const pad = padsFor.get(out) ?? (config['padding'] === 'same' ? (kh - 1) / 2 : 0);
        if (config['padding'] === 'same' && (strides[0] !== 1 || kh % 2 === 0)) throw new UnsupportedModelError(out, cls, "'same' padding exports only at stride 1 with odd kernels");
        let kernel: tf.Tensor;
        let groups = 1;
        let output = out;
        if (cls === 'Conv2D') {
          kernel = tf.transpose(weights[0]!, [3, 2, 0, 1]);
        } else {
          const split = (consumers.get(out) ?? []).find((c) => c.layer.name === `${out}${GROUPED_SUFFIXES.split}`);
          const perGroup = split ? (split.layer.getConfig() as { targetShape: number[] }).targetShape[1]! : 1;
          groups = cin / perGroup;
          kernel = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(weights[0]!, [kh, kw, groups, perGroup, last]), [2, 4, 3, 0, 1]), [groups * last, perGroup, kh, kw]));
          if (split) {
            // The depthwise → split → crops → sum → merge construct is one grouped Conv.
            const merge = `${out}${GROUPED_SUFFIXES.merge}`;
            for (const l of model.layers) if (l.name.startsWith(`${out}_`) && l.name !== `${out}_pad`) skip.add(l.name);
            alias.set(merge, out);
            output = out;
          }
        }
        const inputs = [x, constant(`${out}.weight`, kernel.shape, await values(kernel))];
        kernel.dispose();
        if (config['useBias']) inputs.push(constant(`${out}.bias`, weights[1]!.shape, await values(weights[1]!)));
        node('Conv', inputs, output, out, [
          { name: 'dilations', ints: [1, 1] },
          { name: 'group', i: groups },
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'pads', ints: [pad, pad, pad, pad] },
          { name: 'strides', ints: strides },
        ]);
        break;
      }
      case 'BatchNormalization': {
        if (weights.length !== 4) throw new UnsupportedModelError(out, cls, 'only batch norms with γ and β export');
        // By name: a frozen γ (iResNet's last BN) comes after β in the layer's weight list.
        const byName = new Map(layer.weights.map((v, i) => [v.originalName.split('/').pop()!, weights[i]!]));
        const parameters: string[] = [];
        for (const [key, onnxName] of [['gamma', 'weight'], ['beta', 'bias'], ['moving_mean', 'running_mean'], ['moving_variance', 'running_var']] as const) {
          const w = byName.get(key);
          if (w === undefined) throw new UnsupportedModelError(out, cls, `no ${key} weight`);
          parameters.push(constant(`${out}.${onnxName}`, w.shape, await values(w)));
        }
        node('BatchNormalization', [x, ...parameters], out, out, [{ name: 'epsilon', f: config['epsilon'] as number }, { name: 'momentum', f: 0.9 }]);
        break;
      }
      case 'PReLU': {
        const alpha = weights[0]!;
        const c = alpha.shape[alpha.shape.length - 1]!;
        const rank = alpha.shape.length;
        node('PRelu', [x, constant(`${out}.weight`, rank === 3 ? [c, 1, 1] : [c], await values(alpha))], out, out);
        break;
      }
      case 'Add': {
        const inputs = n.inputs.map(name);
        let acc = inputs[0]!;
        for (let i = 1; i < inputs.length; i += 1) {
          const target = i === inputs.length - 1 ? out : `${out}_partial${i}`;
          node('Add', [acc, inputs[i]!], target, i === inputs.length - 1 ? out : `${out}_${i}`);
          acc = target;
        }
        break;
      }
      case 'Flatten': {
        const shape = (layer.input as tfl.SymbolicTensor).shape;
        if (shape.length !== 4) throw new UnsupportedModelError(out, cls, 'only flattening an image-shaped tensor exports');
        const [, h, w, c] = shape as [unknown, number, number, number];
        node('Flatten', [x], out, out, [{ name: 'axis', i: 1 }]);
        flattenFor.set(out, { channels: c, positions: h * w });
        break;
      }
      case 'Dropout': {
        alias.set(out, x);
        const f = flattenFor.get(n.inputs[0]!);
        if (f !== undefined) flattenFor.set(out, f);
        break;
      }
      case 'Dense': {
        if (config['activation'] !== 'linear') throw new UnsupportedModelError(out, cls, `activation '${String(config['activation'])}' inside a dense layer does not export`);
        const [features, units] = weights[0]!.shape as [number, number];
        const f = flattenFor.get(n.inputs[0]!) ?? { channels: features, positions: 1 };
        // Our Dense reads NHWC-flattened features; ONNX's Flatten of NCHW gives c·h·w + position.
        const kernel = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(weights[0]!, [f.positions, f.channels, units]), [1, 0, 2]), [features, units]));
        const inputs = [x, constant(`${out}.weight`, [features, units], await values(kernel))];
        kernel.dispose();
        if (config['useBias']) inputs.push(constant(`${out}.bias`, [units], await values(weights[1]!)));
        node('Gemm', inputs, out, out, [{ name: 'alpha', f: 1 }, { name: 'beta', f: 1 }, { name: 'transB', i: 0 }]);
        break;
      }
      default:
        throw new UnsupportedModelError(out, cls, 'this layer has no ONNX export (iResNet and MobileFaceNet layers do)');
    }
  }
  const last = nodes[nodes.length - 1]!.layer.name;
  node('Identity', [name(last)], ONNX_OUTPUT, 'output');
  const outputSize = (model.outputs[0]!.shape as number[])[1]!;
  const valueInfo = (valueName: string, dims: ReadonlyArray<number | string>) => {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
    return new ProtoWriter().string(1, valueName).message(2, new ProtoWriter().message(1, new ProtoWriter().int(1, 1).message(2, shape)));
  };
  graph.string(2, options.graphName ?? model.name);
  for (const init of initializers) graph.message(5, init);
  graph.message(11, valueInfo(ONNX_INPUT, ['None', inputShape[2]!, inputShape[0]!, inputShape[1]!]));
  graph.message(12, valueInfo(ONNX_OUTPUT, ['None', outputSize]));
  return new ProtoWriter()
    .int(1, 7)
    .string(2, '@arcface/backbones')
    .string(3, options.producerVersion ?? '')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, EXPORT_OPSET))
    .finish();
}

/** The model's layers in topological order with the names of the layers feeding each. */
function graphOf(model: tfl.LayersModel): LayerNode[] {
  return model.layers.map((layer) => {
    const inbound = layer.inboundNodes.filter((n) => n.outboundLayer === layer);
    if (inbound.length > 1) throw new UnsupportedModelError(layer.name, layer.getClassName(), 'a layer applied more than once does not export');
    return { layer, inputs: (inbound[0]?.inboundLayers ?? []).map((l) => l.name) };
  });
}

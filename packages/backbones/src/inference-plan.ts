import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GROUPED_SUFFIXES } from './layers';
import { InvalidArgumentError, ShapeMismatchError } from '@arcface/core';
import type { InferenceModel } from './feature-extractor';
import { sortLayerCalls } from './layer-graph';

type SymbolicTensor = tfl.SymbolicTensor;
type Layer = SymbolicTensor['sourceLayer'];
type Config = Record<string, unknown>;

/** Options of {@link compileInference}. */
export interface InferencePlanOptions {
  /**
   * Layers of classes the plan has no fused form for run through the layer itself
   * (`layer.apply(x, { training: false })`), so they keep reading the source model's weights
   * and need it alive. `false`: refuse such a model instead, so that the plan is sure to be
   * independent of it. Default `true`.
   */
  readonly allowEagerLayers?: boolean;
}

/** What {@link compileInference} made of a model; the counts are of layer calls. */
export interface InferencePlanSummary {
  /** Layer calls of the source model, the input layer excluded. */
  readonly layers: number;
  /** Ops the plan runs per `predict`. */
  readonly steps: number;
  /** BatchNormalizations folded into the kernel and bias of the Conv2D / DepthwiseConv2D / Dense before them. */
  readonly foldedBatchNorms: number;
  /** BatchNormalizations folded into the Dense after them (BN → Flatten → Dropout → Dense). */
  readonly batchNormsFoldedIntoNextDense: number;
  /** BatchNormalizations left as a per-channel multiply-add (e.g. before a zero-padded convolution). */
  readonly standaloneBatchNorms: number;
  /** Activation layers (PReLU, ReLU, LeakyReLU, Activation) run inside the op before them. */
  readonly fusedActivations: number;
  /** ZeroPadding2D layers that became the explicit padding of the convolution after them. */
  readonly fusedPaddings: number;
  /** Layers that are identities at inference (Dropout and the like). */
  readonly removedLayers: number;
  /** Names of the layers run through `layer.apply`. */
  readonly eagerLayers: readonly string[];
  /** Steps by op. */
  readonly ops: Readonly<Record<string, number>>;
  /** Tensors the plan owns (folded kernels, biases, slopes), freed by `dispose`. */
  readonly weights: number;
}

/** A forward-only form of a trained model, usable wherever an {@link InferenceModel} is. */
export interface InferencePlan extends InferenceModel {
  readonly summary: InferencePlanSummary;
  /** The model's input shape, batch first (`null` for any size). */
  readonly inputShape: readonly (number | null)[];
  /** The model's output for `x`, as `model.predict(x)` gives it; leaves no intermediate tensor. */
  predict(x: tf.Tensor): tf.Tensor;
  /** Frees the plan's weights. The source model is not touched. */
  dispose(): void;
}

/** One call of one layer. */
interface GraphNode {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  readonly output: SymbolicTensor;
}

/** One op of the plan: reads value slots, writes one. */
interface Step {
  readonly op: string;
  readonly inputs: readonly number[];
  readonly output: number;
  run(inputs: readonly tf.Tensor[]): tf.Tensor;
}

/** y = x·scale + shift per channel (last axis). */
interface Affine {
  readonly scale: tf.Tensor1D;
  readonly shift: tf.Tensor1D;
}

/** An activation the fused ops run after their bias. */
interface FusedActivation {
  readonly activation: tf.fused.Activation;
  readonly preluWeights?: tf.Tensor;
  readonly leakyAlpha?: number;
}

type ConvPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D']);
/** Layers that return their input when not training. */
const INFERENCE_IDENTITIES = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
/** Activation names of tfjs-layers that the fused ops compute the same way. */
const FUSABLE_ACTIVATIONS = new Set<string>(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);
const LINEAR: FusedActivation = { activation: 'linear' };

/**
 * Compiles a trained functional `LayersModel` (one input, one output) into a forward-only plan of
 * fused tfjs-core ops, for inference:
 *
 * - ZeroPadding2D → 'valid' Conv2D / DepthwiseConv2D becomes the convolution's explicit padding
 *   (depthwise convolutions take only equal padding on all four sides; otherwise the pad stays);
 * - BatchNormalization after a Conv2D / DepthwiseConv2D / Dense with a linear activation is
 *   folded into its kernel and bias (moving statistics, ε, γ and β as the layer has them);
 * - a PReLU with one slope per channel, and ReLU / LeakyReLU / Activation layers, after such an
 *   op run inside it (`tf.fused.*` with `activation`), as does the layer's own activation;
 * - BatchNormalization → Flatten → (Dropout) → Dense folds into the Dense (channels last: flat
 *   feature i belongs to channel i mod C);
 * - any other BatchNormalization runs as one precomputed per-channel multiply-add (e.g. one
 *   before a zero-padded convolution: the zeros are added after the normalisation, so folding
 *   it into that convolution would be wrong at the borders);
 * - Dropout and the other inference-time identities vanish;
 * - Add, Flatten, Reshape, ZeroPadding2D, PReLU and activation layers that are not fused run as
 *   the matching tfjs-core op; layers of other classes run through `layer.apply` (see
 *   {@link InferencePlanOptions.allowEagerLayers}).
 *
 * A fusion happens only where the tensor in between has exactly one consumer and is not the
 * model's output. The plan owns copies of every weight it reads (the source model can be
 * disposed or trained further without changing it, eager layers aside) and frees each
 * intermediate tensor after its last use. Outputs equal `model.predict`'s up to float32 rounding
 * of the folded weights.
 *
 * @example
 * ```ts
 * const plan = compileInference(model);
 * console.log(plan.summary); // folded BNs, fused activations, remaining ops
 * const extractor = frozenFeatureExtractor(plan, { inputShape: [112, 112, 3] });
 * ```
 */
export function compileInference(model: tfl.LayersModel, options: InferencePlanOptions = {}): InferencePlan {
  const allowEager = options.allowEagerLayers ?? true;
  const { input, output, nodes } = sortGraph(model);
  const consumers = new Map<number, GraphNode[]>();
  for (const node of nodes) {
    for (const t of node.inputs) {
      const list = consumers.get(t.id) ?? [];
      list.push(node);
      consumers.set(t.id, list);
    }
  }
  /** The node that alone reads `t`, when `t` is not the model's output. */
  const soleConsumer = (t: SymbolicTensor): GraphNode | undefined => {
    const list = consumers.get(t.id);
    return list?.length === 1 && t.id !== output.id ? list[0] : undefined;
  };

  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(tf.keep(t));
    return t;
  };
  const slots = new Map<number, number>([[input.id, 0]]);
  let slotCount = 1;
  const slotOf = (t: SymbolicTensor): number => {
    const slot = slots.get(t.id);
    if (slot === undefined) throw new Error(`inference plan: tensor of layer '${t.sourceLayer.name}' used before it is computed`);
    return slot;
  };
  const steps: Step[] = [];
  const emit = (op: string, inputs: readonly SymbolicTensor[], result: SymbolicTensor, run: Step['run']) => {
    const slot = slotCount;
    slotCount += 1;
    steps.push({ op, inputs: inputs.map(slotOf), output: slot, run });
    slots.set(result.id, slot);
  };
  const alias = (result: SymbolicTensor, source: SymbolicTensor) => slots.set(result.id, slotOf(source));

  const absorbed = new Set<GraphNode>();
  const paddingFor = new Map<GraphNode, ConvPad>();
  const foldBefore = new Map<GraphNode, Affine>();
  const counts = { folded: 0, foldedForward: 0, standalone: 0, activations: 0, paddings: 0, removed: 0 };
  const eagerLayers: string[] = [];

  try {
    tf.tidy(() => {
      for (const node of nodes) {
        if (absorbed.has(node)) continue;
        const layer = node.layer;
        const cls = layer.getClassName();
        const config = layer.getConfig() as Config;
        const x = node.inputs[0]!;
        if (layer instanceof tfl.LayersModel) {
          throw new InvalidArgumentError(
            `compileInference: layer '${layer.name}' is a nested model (${cls}); build the model from its layers instead (model '${model.name}')`,
          );
        }
        if (INFERENCE_IDENTITIES.has(cls) || (cls === 'Activation' && config['activation'] === 'linear')) {
          alias(node.output, x);
          counts.removed += 1;
          continue;
        }
        if (cls === 'ZeroPadding2D' && channelsLast(config)) {
          const padding = config['padding'] as [[number, number], [number, number]];
          const conv = soleConsumer(node.output);
          const pad = conv && CONVOLUTIONS.has(conv.layer.getClassName()) ? explicitPadding(conv, padding) : undefined;
          if (conv !== undefined && pad !== undefined) {
            paddingFor.set(conv, pad);
            alias(node.output, x);
            counts.paddings += 1;
          } else {
            const pads: Array<[number, number]> = [[0, 0], padding[0], padding[1], [0, 0]];
            emit('pad', [x], node.output, ([v]) => tf.pad(v!, pads));
          }
          continue;
        }
        if (cls === 'DepthwiseConv2D' && soleConsumer(node.output)?.layer.name === `${layer.name}${GROUPED_SUFFIXES.split}`) {
          emitGrouped(node);
          continue;
        }
        if ((CONVOLUTIONS.has(cls) && convolutionFusable(node)) || (cls === 'Dense' && denseFusable(node))) {
          emitFused(node);
          continue;
        }
        if (cls === 'BatchNormalization') {
          const affine = batchNormAffine(node);
          if (affine !== undefined) {
            const dense = denseAfter(node);
            if (dense !== undefined) {
              foldBefore.set(dense, affine);
              alias(node.output, x);
              counts.foldedForward += 1;
            } else {
              const scale = own(affine.scale);
              const shift = own(affine.shift);
              emit('batchNorm', [x], node.output, ([v]) => tf.add(tf.mul(v!, scale), shift));
              counts.standalone += 1;
            }
            continue;
          }
        }
        const activation = standaloneActivation(node);
        if (activation !== undefined) {
          const act = { ...activation, preluWeights: activation.preluWeights && own(activation.preluWeights) };
          emit(activation.activation, [x], node.output, ([v]) => activate(v!, act));
          continue;
        }
        if (cls === 'Add' && node.inputs.length >= 2) {
          emit('add', node.inputs, node.output, (vs) => (vs.length === 2 ? tf.add(vs[0]!, vs[1]!) : tf.addN([...vs])));
          continue;
        }
        if (cls === 'Flatten' && channelsLast(config)) {
          emit('reshape', [x], node.output, ([v]) => tf.reshape(v!, [v!.shape[0]!, -1]));
          continue;
        }
        if (cls === 'Reshape') {
          const target = config['targetShape'] as number[];
          emit('reshape', [x], node.output, ([v]) => tf.reshape(v!, [v!.shape[0]!, ...target]));
          continue;
        }
        if (!allowEager) {
          throw new InvalidArgumentError(
            `compileInference: layer '${layer.name}' (${cls}) has no fused form and allowEagerLayers is false (model '${model.name}')`,
          );
        }
        eagerLayers.push(layer.name);
        emit('eager', node.inputs, node.output, (vs) => {
          const result = layer.apply(vs.length === 1 ? vs[0]! : [...vs], { training: false });
          return Array.isArray(result) ? (result[0] as tf.Tensor) : (result as tf.Tensor);
        });
      }
    });
  } catch (error) {
    tf.dispose(owned);
    throw error;
  }

  /**
   * A convolution or Dense with the padding before it, the BatchNormalization before it (Dense)
   * and the BatchNormalization and activation after it, as one fused op.
   */
  function emitFused(node: GraphNode): void {
    const layer = node.layer;
    const cls = layer.getClassName();
    const config = layer.getConfig() as Config;
    const weights = layer.getWeights();
    let kernel = weights[0] as tf.Tensor;
    let bias: tf.Tensor | undefined = config['useBias'] ? weights[1] : undefined;
    const before = foldBefore.get(node);
    if (before !== undefined) {
      // (x·s + t)·W + b = x·(diag(s)·W) + (t·W + b), s and t repeated over the flattened positions.
      const features = kernel.shape[0]!;
      const repeats = features / before.scale.size;
      const scale = tf.reshape(tf.tile(before.scale, [repeats]), [features, 1]);
      const shift = tf.reshape(tf.tile(before.shift, [repeats]), [features, 1]);
      // A sum, not a [1, F]·[F, U] product reshaped: the wasm fused kernels take the bias's rank
      // from the op that wrote its data, and a product writes rank 3.
      const shifted = tf.sum(tf.mul(shift, kernel), 0);
      bias = bias === undefined ? shifted : tf.add(bias, shifted);
      kernel = tf.mul(kernel, scale);
    }

    let result = node.output;
    let activation = LINEAR;
    let after: ((y: tf.Tensor) => tf.Tensor) | undefined;
    const layerActivation = config['activation'] as string;
    if (layerActivation !== 'linear') {
      if (FUSABLE_ACTIVATIONS.has(layerActivation)) {
        activation = { activation: layerActivation as tf.fused.Activation };
      } else {
        const fn = (layer as unknown as { activation: { apply(y: tf.Tensor): tf.Tensor } }).activation;
        after = (y) => fn.apply(y);
      }
    } else {
      const bnNode = soleConsumer(result);
      const affine = bnNode?.layer.getClassName() === 'BatchNormalization' ? batchNormAffine(bnNode) : undefined;
      if (bnNode !== undefined && affine !== undefined) {
        const channelShape = cls === 'DepthwiseConv2D' ? [kernel.shape[2]!, kernel.shape[3]!] : [kernel.shape[kernel.rank - 1]!];
        kernel = tf.mul(kernel, tf.reshape(affine.scale, channelShape));
        bias = bias === undefined ? affine.shift : tf.add(tf.mul(bias, affine.scale), affine.shift);
        absorbed.add(bnNode);
        counts.folded += 1;
        result = bnNode.output;
      }
      const actNode = soleConsumer(result);
      const fused = actNode ? standaloneActivation(actNode) : undefined;
      if (actNode !== undefined && fused !== undefined) {
        activation = fused;
        absorbed.add(actNode);
        counts.activations += 1;
        result = actNode.output;
      }
    }

    const ownedKernel = ownCopy(kernel);
    const ownedBias = bias === undefined ? undefined : ownCopy(bias);
    const preluWeights = activation.preluWeights === undefined ? undefined : ownCopy(activation.preluWeights);
    const fusedArgs = {
      bias: ownedBias,
      activation: activation.activation,
      ...(preluWeights ? { preluActivationWeights: preluWeights } : {}),
      ...(activation.leakyAlpha !== undefined ? { leakyreluAlpha: activation.leakyAlpha } : {}),
    };
    const finish = (y: tf.Tensor) => (after ? after(y) : y);
    if (cls === 'Dense') {
      emit('matMul', [node.inputs[0]!], result, ([v]) =>
        finish(tf.fused.matMul({ a: v as tf.Tensor2D, b: ownedKernel as tf.Tensor2D, ...fusedArgs })),
      );
      return;
    }
    const strides = config['strides'] as [number, number];
    const dilations = config['dilationRate'] as [number, number];
    const pad = paddingFor.get(node) ?? (config['padding'] as 'valid' | 'same');
    if (cls === 'Conv2D') {
      emit('conv2d', [node.inputs[0]!], result, ([v]) =>
        finish(
          tf.fused.conv2d({ x: v as tf.Tensor4D, filter: ownedKernel as tf.Tensor4D, strides, pad, dilations, ...fusedArgs }),
        ),
      );
    } else {
      emit('depthwiseConv2d', [node.inputs[0]!], result, ([v]) =>
        finish(
          tf.fused.depthwiseConv2d({
            x: v as tf.Tensor4D,
            filter: ownedKernel as tf.Tensor4D,
            strides,
            pad: pad as 'valid' | 'same' | number,
            dilations,
            ...fusedArgs,
          }),
        ),
      );
    }
  }

  /**
   * A grouped convolution built by `groupedConv` (depthwise with multiplier m → split → crops →
   * sum → merge) as one step: the depthwise convolution, then the a partial outputs of each
   * group summed by a reshape and a sum instead of crop layers. The BN after it folds in (its
   * scale into the depthwise kernel, per output channel; its shift after the sum), and the
   * activation after that runs in the same step.
   */
  function emitGrouped(node: GraphNode): void {
    const layer = node.layer;
    const config = layer.getConfig() as Config;
    const split = soleConsumer(node.output)!;
    const [, perGroup, multiplier] = (split.layer.getConfig() as { targetShape: number[] }).targetShape as [number, number, number];
    const parts = consumers.get(split.output.id) ?? [];
    const sum = parts.length > 0 ? soleConsumer(parts[0]!.output) : undefined;
    const merge = sum ? soleConsumer(sum.output) : undefined;
    if (sum === undefined || merge === undefined || parts.length !== perGroup) {
      throw new InvalidArgumentError(`compileInference: grouped convolution '${layer.name}' is not wired as groupedConv builds it (model '${model.name}')`);
    }
    for (const n of [split, ...parts, sum, merge]) absorbed.add(n);
    let kernel = layer.getWeights()[0] as tf.Tensor;
    const channels = kernel.shape[2]!;
    const groups = channels / perGroup;
    let shift: tf.Tensor | undefined;
    let result = merge.output;
    const bnNode = soleConsumer(result);
    const affine = bnNode?.layer.getClassName() === 'BatchNormalization' ? batchNormAffine(bnNode) : undefined;
    if (bnNode !== undefined && affine !== undefined) {
      // Output channel k·m + mm collects input channels k·a + j: scale each of them by s[k·m + mm].
      const scale = tf.reshape(tf.tile(tf.reshape(affine.scale, [groups, 1, multiplier]), [1, perGroup, 1]), [channels, multiplier]);
      kernel = tf.mul(kernel, scale);
      shift = affine.shift;
      absorbed.add(bnNode);
      counts.folded += 1;
      result = bnNode.output;
    }
    const actNode = soleConsumer(result);
    const act = actNode ? standaloneActivation(actNode) : undefined;
    if (actNode !== undefined && act !== undefined) {
      absorbed.add(actNode);
      counts.activations += 1;
      result = actNode.output;
    }
    const ownedKernel = ownCopy(kernel) as tf.Tensor4D;
    const ownedShift = shift === undefined ? undefined : ownCopy(shift);
    const ownedAct = act === undefined ? undefined : { ...act, preluWeights: act.preluWeights && ownCopy(act.preluWeights) };
    const strides = config['strides'] as [number, number];
    const pad = paddingFor.get(node) ?? (config['padding'] as 'valid' | 'same');
    emit('groupedConv2d', [node.inputs[0]!], result, ([v]) => {
      const y = tf.depthwiseConv2d(v as tf.Tensor4D, ownedKernel, strides, pad as 'valid' | 'same' | number);
      const [b, h, w] = y.shape;
      let z: tf.Tensor = tf.reshape(tf.sum(tf.reshape(y, [b, h, w, groups, perGroup, multiplier]), 4), [b, h, w, groups * multiplier]);
      if (ownedShift !== undefined) z = tf.add(z, ownedShift);
      return ownedAct === undefined ? z : activate(z, ownedAct);
    });
  }

  /** A tensor the plan owns: a new one where folding made one, else a clone of the model's. */
  function ownCopy(t: tf.Tensor): tf.Tensor {
    return own(t instanceof tf.Variable ? tf.clone(t) : t);
  }

  /** The Dense that BN → Flatten → identities → Dense leads to, when the BN can fold into it. */
  function denseAfter(bn: GraphNode): GraphNode | undefined {
    const channels = bn.output.shape[bn.output.shape.length - 1];
    let t = bn.output;
    for (;;) {
      const next = soleConsumer(t);
      if (next === undefined) return undefined;
      const cls = next.layer.getClassName();
      const config = next.layer.getConfig() as Config;
      if (cls === 'Dense') {
        const features = next.inputs[0]!.shape[1];
        return denseFusable(next) && typeof channels === 'number' && typeof features === 'number' && features % channels === 0
          ? next
          : undefined;
      }
      if (!(INFERENCE_IDENTITIES.has(cls) || (cls === 'Flatten' && channelsLast(config)))) return undefined;
      t = next.output;
    }
  }

  const inputShape = [...input.shape];
  const outputSlot = slotOf(output);
  const lastUse = new Map<number, number>();
  steps.forEach((step, i) => step.inputs.forEach((slot) => lastUse.set(slot, i)));
  const opCounts: Record<string, number> = {};
  for (const step of steps) opCounts[step.op] = (opCounts[step.op] ?? 0) + 1;
  const summary: InferencePlanSummary = {
    layers: nodes.length,
    steps: steps.length,
    foldedBatchNorms: counts.folded,
    batchNormsFoldedIntoNextDense: counts.foldedForward,
    standaloneBatchNorms: counts.standalone,
    fusedActivations: counts.activations,
    fusedPaddings: counts.paddings,
    removedLayers: counts.removed,
    eagerLayers,
    ops: opCounts,
    weights: owned.length,
  };
  let disposed = false;

  return {
    summary,
    inputShape,
    predict(x: tf.Tensor): tf.Tensor {
      if (disposed) throw new InvalidArgumentError(`compileInference: the plan of model '${model.name}' is disposed`);
      checkInput(x, inputShape, model.name);
      return tf.tidy(() => {
        const values: Array<tf.Tensor | undefined> = new Array(slotCount);
        values[0] = x;
        // A layer run through `apply` may hand back its input, so one tensor can fill two slots.
        const holders = new Map<tf.Tensor, number>([[x, 1]]);
        const release = (slot: number) => {
          const t = values[slot];
          values[slot] = undefined;
          if (t === undefined) return;
          const left = (holders.get(t) ?? 1) - 1;
          holders.set(t, left);
          if (left === 0 && t !== x) t.dispose();
        };
        steps.forEach((step, i) => {
          const result = step.run(step.inputs.map((slot) => values[slot] as tf.Tensor));
          values[step.output] = result;
          holders.set(result, (holders.get(result) ?? 0) + 1);
          for (const slot of new Set(step.inputs)) {
            if (lastUse.get(slot) === i && slot !== outputSlot && slot !== 0) release(slot);
          }
        });
        const out = values[outputSlot] as tf.Tensor;
        return out === x ? tf.clone(x) : out;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(owned);
    },
  };
}

/** The layer calls between the model's input and output, each after the calls producing its inputs. */
function sortGraph(model: tfl.LayersModel): { input: SymbolicTensor; output: SymbolicTensor; nodes: GraphNode[] } {
  const { input, output, calls } = sortLayerCalls(model, 'compileInference');
  const nodes = calls.map(({ layer, inputs, outputs }): GraphNode => {
    if (outputs.length !== 1) {
      throw new InvalidArgumentError(
        `compileInference: layer '${layer.name}' has ${outputs.length} outputs; only layers with one output are supported (model '${model.name}')`,
      );
    }
    return { layer, inputs, output: outputs[0]! };
  });
  return { input, output, nodes };
}

function checkInput(x: tf.Tensor, shape: readonly (number | null)[], name: string): void {
  if (!(x instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`compileInference: predict expects a tf.Tensor (model '${name}')`);
  }
  const fits = x.rank === shape.length && shape.every((d, i) => d === null || d === x.shape[i]);
  if (!fits) {
    const expected = shape.map((d) => (d === null ? 'B' : String(d))).join(', ');
    throw new ShapeMismatchError(`compileInference: model '${name}' expects input [${expected}], got [${x.shape.join(', ')}]`);
  }
}

function channelsLast(config: Config): boolean {
  return config['dataFormat'] === undefined || config['dataFormat'] === null || config['dataFormat'] === 'channelsLast';
}

/** A 2-D convolution the fused ops compute as the layer does (channels last, a built kernel). */
function convolutionFusable(node: GraphNode): boolean {
  const config = node.layer.getConfig() as Config;
  const padding = config['padding'];
  return channelsLast(config) && node.inputs.length === 1 && node.inputs[0]!.shape.length === 4 && (padding === 'valid' || padding === 'same');
}

/** A Dense over a rank-2 input (the fused product multiplies matrices only). */
function denseFusable(node: GraphNode): boolean {
  return node.inputs.length === 1 && node.inputs[0]!.shape.length === 2;
}

/** The convolution's padding with the ZeroPadding2D before it, or undefined when it cannot take it. */
function explicitPadding(conv: GraphNode, padding: [[number, number], [number, number]]): ConvPad | undefined {
  const config = conv.layer.getConfig() as Config;
  if (!convolutionFusable(conv) || config['padding'] !== 'valid') return undefined;
  const [[top, bottom], [left, right]] = padding;
  if (conv.layer.getClassName() === 'Conv2D') {
    return [[0, 0], [top, bottom], [left, right], [0, 0]];
  }
  // tf.fused.depthwiseConv2d takes 'valid', 'same' or one number for all four sides.
  return top === bottom && top === left && top === right ? top : undefined;
}

/**
 * A BatchNormalization over the last axis at inference as x·scale + shift:
 * scale = γ/√(var + ε), shift = β − mean·scale (γ = 1 without `scale`, β = 0 without `center`).
 */
function batchNormAffine(node: GraphNode): Affine | undefined {
  const layer = node.layer;
  const config = layer.getConfig() as Config;
  const rank = node.inputs[0]!.shape.length;
  const axis = config['axis'];
  if (node.inputs.length !== 1 || !(axis === -1 || axis === rank - 1)) return undefined;
  const weight = (suffix: string) => layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`))?.read();
  const mean = weight('moving_mean');
  const variance = weight('moving_variance');
  if (mean === undefined || variance === undefined) return undefined;
  const gamma = config['scale'] ? weight('gamma') : undefined;
  const beta = config['center'] ? weight('beta') : undefined;
  const epsilon = config['epsilon'] as number;
  const inverse = tf.rsqrt(tf.add(variance, epsilon));
  const scale = (gamma === undefined ? inverse : tf.mul(inverse, gamma)) as tf.Tensor1D;
  const shifted = tf.neg(tf.mul(mean, scale));
  const shift = (beta === undefined ? shifted : tf.add(beta, shifted)) as tf.Tensor1D;
  return { scale, shift };
}

/** An activation layer as a fused activation, when the fused ops compute it the same way. */
function standaloneActivation(node: GraphNode): FusedActivation | undefined {
  const layer = node.layer;
  const cls = layer.getClassName();
  const config = layer.getConfig() as Config;
  if (node.inputs.length !== 1) return undefined;
  if (cls === 'PReLU') {
    const alpha = layer.getWeights()[0];
    const channels = node.inputs[0]!.shape[node.inputs[0]!.shape.length - 1];
    // One slope per channel only: the fused kernels read the slopes by channel.
    if (alpha === undefined || alpha.size !== channels || alpha.shape[alpha.rank - 1] !== channels) return undefined;
    return { activation: 'prelu', preluWeights: tf.reshape(alpha, [channels]) };
  }
  if (cls === 'Activation' && FUSABLE_ACTIVATIONS.has(config['activation'] as string)) {
    return { activation: config['activation'] as tf.fused.Activation };
  }
  if (cls === 'ReLU') {
    const max = config['maxValue'];
    if (max === undefined || max === null) return { activation: 'relu' };
    return max === 6 ? { activation: 'relu6' } : undefined;
  }
  if (cls === 'LeakyReLU') return { activation: 'leakyrelu', leakyAlpha: config['alpha'] as number };
  return undefined;
}

function activate(x: tf.Tensor, act: FusedActivation): tf.Tensor {
  switch (act.activation) {
    case 'prelu':
      return tf.prelu(x, act.preluWeights!);
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'leakyrelu':
      return tf.leakyRelu(x, act.leakyAlpha);
    default:
      return tf.clone(x);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '@arcface/core';
import { sortLayerCalls, type LayerCall } from './layer-graph';

type SymbolicTensor = tfl.SymbolicTensor;
type Layer = SymbolicTensor['sourceLayer'];

/** Options of {@link checkpointedModel}. */
export interface CheckpointOptions {
  /**
   * How many segments the layer graph is cut into, balanced by activation size (a whole number
   * from 1 to one more than the number of places the graph can be cut); `'blocks'`: one segment
   * per residual block and one per plain chain of layers between blocks. Default: the cuts
   * that minimise an estimate of the peak memory of a training step (boundaries kept + the
   * last segment + the largest recomputed segment, by activation size).
   */
  readonly segments?: number | 'blocks';
}

/**
 * A model whose training forward pass keeps only the tensors at segment boundaries for the
 * backward pass and recomputes each segment's activations when its gradient is needed.
 */
export interface CheckpointedModel {
  readonly model: tfl.LayersModel;
  /** Number of segments, the last included. */
  readonly segments: number;
  /** Segments that are recomputed in the backward pass (all but the last and any with randomness). */
  readonly recomputed: number;
  /** Names of the layers whose outputs are kept across the forward pass, one per cut. */
  readonly boundaries: readonly string[];
  /**
   * `training: true`: the value `model.apply(x, { training: true })` gives, with the same
   * gradients and the same moving-statistics updates, at lower peak memory. Otherwise
   * `model.apply(x)` unchanged.
   */
  apply(x: tf.Tensor, options?: { training?: boolean }): tf.Tensor;
}

/** One call of one layer in the model's graph. */
type Step = LayerCall;

/** Steps `(start, end]` of the sorted graph: one tensor in, one tensor out. */
interface Segment {
  readonly steps: readonly Step[];
  readonly input: SymbolicTensor;
  readonly output: SymbolicTensor;
  readonly layers: readonly Layer[];
  readonly recompute: boolean;
}

/** The graph sorted, with the places it can be cut. */
interface SortedGraph {
  readonly steps: readonly Step[];
  readonly input: SymbolicTensor;
  /** Step indices after which exactly one tensor is alive: `cutTensor[p]` (p = −1: the input). */
  readonly cuts: readonly number[];
  readonly cutTensor: ReadonlyMap<number, SymbolicTensor>;
  /** Values computed per example by each step, a stand-in for the activations its tape keeps. */
  readonly cost: readonly number[];
}

/**
 * Wraps a functional `LayersModel` with one input and one output so that training keeps less
 * in memory: activation recomputation (gradient checkpointing). The layer graph is cut at
 * tensors every path from input to output passes through (residual blocks' outputs, never a
 * tensor inside a block); during a training forward pass each segment but the last runs as a
 * single custom-gradient op that keeps only its input, and its backward pass runs the segment
 * forward again on a tape and backpropagates through that. Peak memory falls to about the
 * boundary tensors plus one segment's activations, at the price of one more forward pass.
 *
 * Equivalence with `model.apply(x, { training: true })`:
 * - the same value, and under `tf.variableGrads` / `optimizer.minimize` the same gradient for
 *   every trainable variable and for the input;
 * - non-trainable state (BatchNormalization's moving mean and variance) moves once per call,
 *   as without checkpointing: the recomputation starts from the state the forward pass saw and
 *   the state after the forward pass is put back afterwards;
 * - segments with a random layer (Dropout, GaussianNoise, … with a non-zero rate) and the last
 *   segment are not recomputed (they run on the tape as usual), so random draws happen once.
 *   Layers of other classes must be deterministic in training mode.
 *
 * Weights are read from the model at every call, so freezing layers (`layer.trainable = false`)
 * later is honoured. The wrapper owns no tensors.
 *
 * @example
 * ```ts
 * const net = checkpointedModel(mobileFaceNet());
 * optimizer.minimize(() => loss(net.apply(images, { training: true }), labels));
 * ```
 */
export function checkpointedModel(model: tfl.LayersModel, options: CheckpointOptions = {}): CheckpointedModel {
  const graph = sortGraph(model);
  const cutsAt = chooseCuts(graph, options.segments);
  const bounds = [-1, ...cutsAt, graph.steps.length - 1];
  const segments: Segment[] = [];
  for (let i = 1; i < bounds.length; i += 1) {
    const start = bounds[i - 1] as number;
    const end = bounds[i] as number;
    const steps = graph.steps.slice(start + 1, end + 1);
    const layers = [...new Set(steps.map((s) => s.layer))];
    segments.push({
      steps,
      input: start < 0 ? graph.input : (graph.cutTensor.get(start) as SymbolicTensor),
      output: i === bounds.length - 1 ? model.outputs[0]! : (graph.cutTensor.get(end) as SymbolicTensor),
      layers,
      recompute: i < bounds.length - 1 && !layers.some(isStochastic),
    });
  }
  return {
    model,
    segments: segments.length,
    recomputed: segments.filter((s) => s.recompute).length,
    boundaries: cutsAt.map((p) => graph.cutTensor.get(p)!.sourceLayer.name),
    apply(x: tf.Tensor, applyOptions: { training?: boolean } = {}): tf.Tensor {
      if (!(x instanceof tf.Tensor)) {
        throw new InvalidArgumentError(`checkpointedModel: apply expects a tf.Tensor, got ${kindOf(x)}`);
      }
      if (applyOptions.training !== true) return model.apply(x, { training: false }) as tf.Tensor;
      return tf.tidy(() => {
        let value = x;
        for (const segment of segments) {
          const next = segment.recompute ? recomputedSegment(segment, value) : runSteps(segment, value);
          // A tape keeps what it needs on its own (a recomputed segment keeps its input).
          if (value !== x) value.dispose();
          value = next;
        }
        return value;
      });
    },
  };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/**
 * The model's layer calls in an order where every call comes after the calls producing its
 * inputs, found by walking back from the output, with the places the graph can be cut.
 */
function sortGraph(model: tfl.LayersModel): SortedGraph {
  const { input, output, calls: steps } = sortLayerCalls(model, 'checkpointedModel');
  if (steps.length === 0) {
    throw new InvalidArgumentError(`checkpointedModel: model '${model.name}' has no layers between its input and output`);
  }

  // A tensor is alive after step p when it was produced at or before p and is read after p;
  // the output counts as read after the last step.
  const producedAt = new Map<number, number>([[input.id, -1]]);
  const lastReadAt = new Map<number, number>();
  steps.forEach((step, p) => {
    for (const t of step.inputs) lastReadAt.set(t.id, p);
    for (const t of step.outputs) producedAt.set(t.id, p);
  });
  lastReadAt.set(output.id, steps.length);
  const alive: SymbolicTensor[][] = steps.map(() => []);
  const tensors = new Map<number, SymbolicTensor>([[input.id, input]]);
  for (const step of steps) for (const t of step.outputs) tensors.set(t.id, t);
  for (const [id, last] of lastReadAt) {
    const from = producedAt.get(id) as number;
    for (let p = Math.max(from, 0); p < last && p < steps.length; p += 1) alive[p]!.push(tensors.get(id)!);
  }
  const cuts: number[] = [];
  const cutTensor = new Map<number, SymbolicTensor>([[-1, input]]);
  for (let p = 0; p < steps.length - 1; p += 1) {
    if (alive[p]!.length === 1) {
      cuts.push(p);
      cutTensor.set(p, alive[p]![0]!);
    }
  }
  const cost = steps.map((step) => step.outputs.reduce((sum, t) => sum + perExample(t.shape), 0));
  return { steps, input, cuts, cutTensor, cost };
}

function perExample(shape: readonly (number | null)[]): number {
  return shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
}

/** Step indices to cut after, ascending, for the requested segmentation. */
function chooseCuts(graph: SortedGraph, segments: number | 'blocks' | undefined): number[] {
  const { cuts } = graph;
  if (segments === 'blocks') return blockCuts(graph);
  if (segments === undefined) return leanestCuts(graph);
  if (typeof segments !== 'number' || !Number.isInteger(segments) || segments < 1 || segments > cuts.length + 1) {
    throw new InvalidArgumentError(
      `checkpointedModel: segments must be 'blocks' or a whole number from 1 to ${cuts.length + 1} (this model can be cut in ${cuts.length} places), got ${String(segments)}`,
    );
  }
  return balancedCuts(graph, segments);
}

/** Cut places with the model's input first and its output last, and segment and boundary sizes over them. */
function costModel(graph: SortedGraph) {
  const { steps, cuts, cost, cutTensor } = graph;
  const places = [-1, ...cuts, steps.length - 1];
  const prefix = [0];
  for (const c of cost) prefix.push(prefix[prefix.length - 1]! + c);
  /** Activations computed between places i and j. */
  const between = (i: number, j: number) => prefix[places[j]! + 1]! - prefix[places[i]! + 1]!;
  /** The tensor kept at place i (none at the input, which the caller holds, or at the output). */
  const boundary = (i: number) => (i === 0 || i === places.length - 1 ? 0 : perExample(cutTensor.get(places[i]!)!.shape));
  return { places, between, boundary };
}

/**
 * The cuts that minimise an estimate of the peak of a training step: the kept boundaries, plus
 * the last segment (it runs on the tape, so its activations are alive when the forward pass
 * ends), plus the largest recomputed segment (alive while its backward pass runs). For each cap
 * on the recomputed segments' size, a shortest-path pass finds the cheapest boundaries.
 */
function leanestCuts(graph: SortedGraph): number[] {
  const { places, between, boundary } = costModel(graph);
  const n = places.length;
  const sizes = new Set<number>();
  for (let i = 0; i < n - 1; i += 1) for (let j = i + 1; j < n - 1; j += 1) sizes.add(between(i, j));
  let caps = [...sizes].sort((a, b) => a - b);
  // Quantiles of the possible sizes are enough: the estimate changes little between neighbours.
  const most = 64;
  if (caps.length > most) caps = Array.from({ length: most }, (_, k) => caps[Math.round((k * (caps.length - 1)) / (most - 1))]!);
  let best = { estimate: between(0, n - 1), cuts: [] as number[] };
  for (const cap of caps) {
    const total = new Array<number>(n).fill(Infinity);
    const from = new Array<number>(n).fill(-1);
    total[0] = 0;
    for (let j = 1; j < n - 1; j += 1) {
      // Segments ending at j only grow as their start moves back.
      for (let i = j - 1; i >= 0 && between(i, j) <= cap; i -= 1) {
        if (total[i] === Infinity) continue;
        const t = total[i]! + boundary(j);
        if (t < total[j]!) {
          total[j] = t;
          from[j] = i;
        }
      }
    }
    for (let last = 1; last < n - 1; last += 1) {
      if (total[last] === Infinity) continue;
      const estimate = total[last]! + between(last, n - 1) + cap;
      if (estimate < best.estimate) {
        const cuts: number[] = [];
        for (let j = last; j > 0; j = from[j]!) cuts.push(places[j]!);
        best = { estimate, cuts: cuts.reverse() };
      }
    }
  }
  return best.cuts;
}

/**
 * Cuts at both ends of every run of consecutive cut places. A run is a plain chain of layers
 * (each reads only the previous one's output); between runs lie blocks with branches.
 */
function blockCuts(graph: SortedGraph): number[] {
  const last = graph.steps.length - 1;
  const places = new Set([-1, ...graph.cuts, last]);
  const out: number[] = [];
  for (const p of graph.cuts) {
    const startsRun = !places.has(p - 1);
    const endsRun = !places.has(p + 1);
    if (startsRun || endsRun) out.push(p);
  }
  return out;
}

/**
 * `count − 1` cut places that make the largest segment (by activation size) as small as it can
 * be; among those, the boundaries kept across the forward pass are as small as they can be.
 */
function balancedCuts(graph: SortedGraph, count: number): number[] {
  const { places, between, boundary } = costModel(graph);
  const n = places.length;

  // The smallest largest segment: splitting a segment never makes the largest one larger, so it
  // is the smallest cap that a greedy left-to-right split meets in at most `count` segments.
  const segmentsWithin = (cap: number) => {
    let used = 0;
    for (let i = 0; i < n - 1; ) {
      let j = i + 1;
      if (between(i, j) > cap) return Infinity;
      while (j + 1 < n && between(i, j + 1) <= cap) j += 1;
      used += 1;
      i = j;
    }
    return used;
  };
  // Sizes are whole numbers (products of dimensions).
  let low = 0;
  let high = between(0, n - 1);
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (segmentsWithin(mid) <= count) high = mid;
    else low = mid + 1;
  }
  const limit = high;

  // Smallest total boundary size with every segment within that limit.
  let total = new Array<number>(n).fill(Infinity);
  total[0] = 0;
  const from: number[][] = [];
  for (let s = 1; s <= count; s += 1) {
    const next = new Array<number>(n).fill(Infinity);
    const choice = new Array<number>(n).fill(-1);
    for (let j = 1; j < n; j += 1) {
      for (let i = j - 1; i >= s - 1 && between(i, j) <= limit; i -= 1) {
        if (total[i] === Infinity) continue;
        const t = total[i]! + boundary(j);
        if (t < next[j]!) {
          next[j] = t;
          choice[j] = i;
        }
      }
    }
    from.push(choice);
    total = next;
  }
  const out: number[] = [];
  let j = n - 1;
  for (let s = count; s >= 1; s -= 1) {
    j = from[s - 1]![j]!;
    if (s > 1) out.push(places[j]!);
  }
  return out.reverse();
}

/** Dropout, GaussianNoise and kin draw random numbers in training mode unless their rate is 0. */
function isStochastic(layer: Layer): boolean {
  const nested = (layer as { layers?: Layer[] }).layers;
  if (Array.isArray(nested)) return nested.some(isStochastic);
  if (!/Dropout|Noise/.test(layer.getClassName())) return false;
  const config = layer.getConfig() as { rate?: unknown; stddev?: unknown };
  const amount = typeof config.rate === 'number' ? config.rate : config.stddev;
  return !(typeof amount === 'number' && amount === 0);
}

/**
 * Runs a segment's layer calls on concrete tensors, freeing each intermediate as soon as its
 * last reader has run (on a tape the kernels keep what their gradients need themselves).
 */
function runSteps(segment: Segment, x: tf.Tensor): tf.Tensor {
  const { steps, input, output } = segment;
  const readsLeft = new Map<number, number>();
  for (const step of steps) for (const t of step.inputs) readsLeft.set(t.id, (readsLeft.get(t.id) ?? 0) + 1);
  const values = new Map<number, tf.Tensor>([[input.id, x]]);
  // A layer with several outputs may hand back one tensor twice, so one tensor can stand for two ids.
  const holders = new Map<tf.Tensor, number>([[x, 1]]);
  const release = (id: number) => {
    const t = values.get(id);
    if (t === undefined) return;
    values.delete(id);
    const left = (holders.get(t) ?? 1) - 1;
    if (left > 0) {
      holders.set(t, left);
      return;
    }
    holders.delete(t);
    // A layer could hand back one of its weights; those are never ours to free.
    if (t !== x && !(t instanceof tf.Variable)) t.dispose();
  };
  for (const step of steps) {
    const args = step.inputs.map((t) => values.get(t.id) as tf.Tensor);
    const result = step.layer.apply(args, { training: true }) as tf.Tensor | tf.Tensor[];
    const produced = Array.isArray(result) ? result : [result];
    step.outputs.forEach((t, i) => {
      const value = produced[i] as tf.Tensor;
      values.set(t.id, value);
      holders.set(value, (holders.get(value) ?? 0) + 1);
    });
    for (const t of step.inputs) {
      const left = (readsLeft.get(t.id) as number) - 1;
      readsLeft.set(t.id, left);
      if (left === 0 && t.id !== output.id) release(t.id);
    }
    for (const t of step.outputs) if (!readsLeft.has(t.id) && t.id !== output.id) release(t.id);
  }
  return values.get(output.id) as tf.Tensor;
}

/** The parts of tfjs-core's engine the nested backward pass needs. */
interface EngineTape {
  state: { activeTape: unknown };
}

/** Distinct variables, in first-use order. */
function variablesOf(layers: readonly Layer[], trainable: boolean): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  for (const layer of layers) {
    for (const weight of trainable ? layer.trainableWeights : layer.nonTrainableWeights) seen.add(weight.read() as tf.Variable);
  }
  return [...seen];
}

/**
 * The segment as one custom-gradient op over its input and its trainable variables. Nothing
 * inside the forward pass is taped; the op saves only its input and the non-trainable state
 * as the forward pass found it (clones share storage, so this costs no copy).
 */
function recomputedSegment(segment: Segment, x: tf.Tensor): tf.Tensor {
  const trainable = variablesOf(segment.layers, true);
  const state = variablesOf(segment.layers, false);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    save([input, ...state.map((v) => tf.clone(v))]);
    // Never the input itself: tfjs-layers clones a layer output that is one of its inputs.
    const value = runSteps(segment, input);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, ...before] = saved as [tf.Tensor, ...tf.Tensor[]];
        // The outer backward pass calls this outside any tidy scope.
        return tf.tidy(() => {
          const after = state.map((v) => tf.clone(v));
          state.forEach((v, i) => v.assign(before[i] as tf.Tensor));
          const engine = tf.engine() as unknown as EngineTape;
          // A nested gradient at depth 0 starts a fresh tape and clears it when done; the outer
          // backward pass reads its own tape again at the end (to free what its nodes saved).
          const outerTape = engine.state.activeTape;
          let grads: Array<tf.Tensor | undefined>;
          try {
            grads = tf.engine().gradients(() => runSteps(segment, savedInput), [savedInput, ...trainable], dy, true).grads;
          } finally {
            engine.state.activeTape = outerTape;
            state.forEach((v, i) => v.assign(after[i] as tf.Tensor));
          }
          const wrt = [savedInput, ...trainable];
          return grads.map((g, i) => g ?? tf.zerosLike(wrt[i] as tf.Tensor));
        });
      },
    };
  });
  return op(x, ...trainable);
}

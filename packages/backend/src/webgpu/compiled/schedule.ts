import { UncompilableModelError } from '../../errors';
import { batchNormBackward, batchNormForward, type BatchNormLayout } from './kernels/batch-norm';
import { convBackward, convForward, type ConvGeometry } from './kernels/convolution';
import { denseBackward, denseForward } from './kernels/dense';
import { accumulateKernel, addKernel, reluBackwardKernel, reluKernel, rescaleKernel } from './kernels/elementwise';
import { headBackward, headNormalize, headScratch, headSoftmax, type HeadLayout } from './kernels/margin-head';
import { optimizerKernel, SUMMARY, summaryKernel } from './kernels/optimizer';
import { STEP_BYTES, type KernelSpec } from './kernels/wgsl';
import type { GraphOp, TrainingGraph } from './training-graph';

/**
 * A buffer the step reads or writes. Persistent ones live for the whole run (parameters,
 * gradients, optimiser slots, the head's scratch); the others are planned by lifetime and share
 * the arena's buffers.
 */
export interface Storage {
  readonly id: number;
  readonly name: string;
  readonly bytes: number;
  readonly persistent: boolean;
  readonly usage?: 'uniform' | 'storage';
}

export type Step =
  | { readonly kind: 'kernel'; readonly spec: KernelSpec<Storage> }
  | { readonly kind: 'copy'; readonly from: Storage; readonly to: Storage; readonly bytes: number };

/** Where each graph parameter sits: `params` (weights), `stats` (running statistics), element offsets. */
export interface ParamPlacement {
  readonly buffer: 'params' | 'stats';
  readonly offset: number;
  readonly size: number;
}

export interface Schedule {
  readonly steps: readonly Step[];
  readonly storages: readonly Storage[];
  readonly persistent: {
    readonly params: Storage;
    readonly grads: Storage;
    readonly stats: Storage;
    readonly saved: Storage;
    readonly slots: readonly Storage[];
    readonly scratch: Storage;
    readonly logits: Storage;
    readonly summary: Storage;
    readonly step: Storage;
    readonly input: Storage;
    readonly labels: Storage;
  };
  readonly placement: readonly ParamPlacement[];
  /** Elements: backbone weights, then the centres (together the trained range), then frozen weights. */
  readonly sizes: { readonly backbone: number; readonly trained: number; readonly params: number; readonly stats: number };
  /** What fusion did, for the summary. */
  readonly fused: { readonly prelu: number; readonly residual: number; readonly reshapes: number };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A batch norm with the PReLU and the residual addition fused into it. */
interface NormGroup {
  readonly norm: Extract<GraphOp, { kind: 'batchNorm' }>;
  prelu?: Extract<GraphOp, { kind: 'prelu' }>;
  add?: Extract<GraphOp, { kind: 'add' }>;
  /** The addition's other operand. */
  residual?: number;
  out: number;
}

/**
 * Plans one training step of `graph`: fuses PReLU and residual additions into the batch norm
 * before them, lays out parameters, and lists the forward, head, backward and optimiser kernels
 * in order, with the buffers each reads and writes.
 */
export function planTrainingStep(graph: TrainingGraph): Schedule {
  const { tensors, ops } = graph;
  const shapeOf = (t: number): readonly number[] => {
    const shape = tensors[t];
    if (shape === undefined) throw new UncompilableModelError(`tensor ${t} has no shape`);
    return shape;
  };
  const batch = shapeOf(graph.input)[0] as number;

  // Parameters: backbone weights, centres, frozen weights in one buffer; statistics in another.
  const placement: ParamPlacement[] = new Array(graph.params.length);
  let offset = 0;
  const ends: number[] = [];
  for (const role of ['backbone', 'centers', 'frozen'] as const) {
    graph.params.forEach((p, i) => {
      if (p.role !== role) return;
      placement[i] = { buffer: 'params', offset, size: p.variable.size };
      offset += p.variable.size;
    });
    ends.push(offset);
  }
  const [backbone, trained, paramsSize] = ends as [number, number, number];
  let statsSize = 0;
  graph.params.forEach((p, i) => {
    if (p.role !== 'statistic') return;
    placement[i] = { buffer: 'stats', offset: statsSize, size: p.variable.size };
    statsSize += p.variable.size;
  });
  const paramAt = (index: number | undefined, what: string, expect: 'params' | 'stats' = 'params'): number => {
    const place = index === undefined ? undefined : placement[index];
    if (place === undefined || place.buffer !== expect) throw new UncompilableModelError(`${what} does not name a ${expect === 'stats' ? 'running statistic' : 'weight'}`);
    return place.offset;
  };
  const gradAt = (index: number | undefined): number | undefined => {
    if (index === undefined) return undefined;
    const role = graph.params[index]?.role;
    return role === 'backbone' || role === 'centers' ? (placement[index] as ParamPlacement).offset : undefined;
  };
  // Convolution and dense weights are trained: their gradients are written at the same offsets.
  const trainedAt = (index: number, what: string): number => {
    const at = gradAt(index);
    if (at === undefined) throw new UncompilableModelError(`${what}: frozen convolution or dense weights are not compiled`);
    return at;
  };
  // Each batch norm's [mean, 1/σ] pairs in the saved-statistics buffer, in op order.
  const saved = new Map<GraphOp, number>();
  let savedSize = 0;
  for (const op of ops) {
    if (op.kind !== 'batchNorm') continue;
    saved.set(op, savedSize);
    savedSize += 2 * (shapeOf(op.x).at(-1) as number);
  }
  const normLayout = (g: NormGroup): BatchNormLayout => {
    const { norm } = g;
    const shape = shapeOf(norm.x);
    const channels = shape.at(-1) as number;
    const gammaGrad = gradAt(norm.gamma);
    const betaGrad = gradAt(norm.beta);
    const alphaGrad = g.prelu ? gradAt(g.prelu.alpha) : undefined;
    return {
      count: size(shape) / channels,
      channels,
      epsilon: norm.epsilon,
      momentum: norm.momentum,
      ...(norm.gamma !== undefined ? { gamma: paramAt(norm.gamma, 'batch norm γ') } : {}),
      ...(norm.beta !== undefined ? { beta: paramAt(norm.beta, 'batch norm β') } : {}),
      ...(g.prelu ? { alpha: paramAt(g.prelu.alpha, 'PReLU α') } : {}),
      ...(gammaGrad !== undefined ? { gammaGrad } : {}),
      ...(betaGrad !== undefined ? { betaGrad } : {}),
      ...(alphaGrad !== undefined ? { alphaGrad } : {}),
      movingMean: paramAt(norm.movingMean, 'batch norm running mean', 'stats'),
      movingVariance: paramAt(norm.movingVariance, 'batch norm running variance', 'stats'),
      saved: saved.get(norm) as number,
    };
  };

  const storages: Storage[] = [];
  const storage = (name: string, elements: number, persistent = false, usage: Storage['usage'] = 'storage'): Storage => {
    const s: Storage = { id: storages.length, name, bytes: Math.max(4, elements * 4), persistent, usage };
    storages.push(s);
    return s;
  };
  const head = graph.head;
  const embeddingShape = shapeOf(graph.embeddings);
  if (embeddingShape.length !== 2) throw new UncompilableModelError(`the embeddings must be [batch, dim], got [${embeddingShape.join(', ')}]`);
  const dim = embeddingShape[1] as number;
  const headLayout: HeadLayout = {
    batch,
    dim,
    classes: head.classes,
    centers: paramAt(head.centers, 'the head'),
    scale: head.margin.scale,
    straightThrough: head.margin.straightThrough,
    marginWgsl: head.margin.wgsl,
  };
  const scratchLayout = headScratch(headLayout);
  const slotCount = graph.optimizer.kind === 'sgd' ? 1 : 2;
  const persistent = {
    params: storage('params', paramsSize, true),
    grads: storage('gradients', trained, true),
    stats: storage('statistics', statsSize, true),
    saved: storage('saved statistics', savedSize, true),
    slots: Array.from({ length: slotCount }, (_, i) => storage(`slot ${i}`, trained, true)),
    scratch: storage('head scratch', scratchLayout.size, true),
    logits: storage('logits', batch * head.classes, true),
    summary: storage('summary', SUMMARY.size, true),
    step: storage('step', STEP_BYTES / 4, true, 'uniform'),
    input: storage('images', size(shapeOf(graph.input)), true),
    labels: storage('labels', batch, true),
  };

  // Consumers of every tensor (the head reads the embeddings).
  const consumers = new Map<number, GraphOp[]>();
  const use = (t: number, op: GraphOp) => consumers.set(t, [...(consumers.get(t) ?? []), op]);
  for (const op of ops) for (const t of inputsOf(op)) use(t, op);
  const consumerCount = (t: number) => (consumers.get(t)?.length ?? 0) + (t === graph.embeddings ? 1 : 0);
  const soleConsumer = (t: number): GraphOp | undefined => (consumerCount(t) === 1 ? consumers.get(t)?.[0] : undefined);

  // Fusion: batch norm → PReLU → residual add become one op where nothing else reads between.
  const groups = new Map<GraphOp, NormGroup>();
  const absorbed = new Set<GraphOp>();
  const fused = { prelu: 0, residual: 0, reshapes: 0 };
  // A residual operand must exist when the batch norm runs, so it must come from an earlier op.
  const producedAt = new Map<number, number>([[graph.input, -1]]);
  ops.forEach((op, i) => producedAt.set(outputOf(op), i));
  ops.forEach((op, index) => {
    if (op.kind !== 'batchNorm') return;
    const group: NormGroup = { norm: op, out: op.y };
    const next = soleConsumer(op.y);
    if (next?.kind === 'prelu' && next.x === op.y) {
      group.prelu = next;
      group.out = next.y;
      absorbed.add(next);
      fused.prelu += 1;
    }
    const add = soleConsumer(group.out);
    if (add?.kind === 'add' && add.a !== add.b && !absorbed.has(add)) {
      const residual = add.a === group.out ? add.b : add.a;
      if ((producedAt.get(residual) ?? Infinity) < index) {
        group.add = add;
        group.residual = residual;
        group.out = add.y;
        absorbed.add(add);
        fused.residual += 1;
      }
    }
    groups.set(op, group);
  });
  // Values: one storage per tensor; a reshape shares its input's.
  const value = new Map<number, Storage>([[graph.input, persistent.input]]);
  const valueOf = (t: number): Storage => {
    const s = value.get(t);
    if (s === undefined) throw new UncompilableModelError(`tensor ${t} is read before it is computed`);
    return s;
  };
  // Tensors that need no gradient: the images and what is computed from them alone, without weights.
  const constant = new Set<number>([graph.input]);

  const steps: Step[] = [];
  const kernel = (spec: KernelSpec<Storage>) => steps.push({ kind: 'kernel', spec });
  const order: Array<{ op: GraphOp; group?: NormGroup }> = [];
  for (const op of ops) {
    if (absorbed.has(op)) continue;
    const group = groups.get(op);
    order.push({ op, ...(group ? { group } : {}) });
    switch (op.kind) {
      case 'reshape':
        value.set(op.y, valueOf(op.x));
        if (constant.has(op.x)) constant.add(op.y);
        fused.reshapes += 1;
        break;
      case 'rescale': {
        const y = storage(`t${op.y}`, size(shapeOf(op.y)));
        value.set(op.y, y);
        if (constant.has(op.x)) constant.add(op.y);
        kernel(rescaleKernel(size(shapeOf(op.y)), op.scale, op.offset, { x: valueOf(op.x), y }));
        break;
      }
      case 'conv': {
        const y = storage(`t${op.y}`, size(shapeOf(op.y)));
        kernel(convForward(convGeometry(op, shapeOf, trainedAt(op.filter, `conv of tensor ${op.x}`)), { x: valueOf(op.x), params: persistent.params, y }));
        value.set(op.y, y);
        break;
      }
      case 'dense': {
        const y = storage(`t${op.y}`, size(shapeOf(op.y)));
        kernel(denseForward(denseLayout(op, shapeOf, trainedAt), { x: valueOf(op.x), params: persistent.params, y }));
        value.set(op.y, y);
        break;
      }
      case 'add': {
        const y = storage(`t${op.y}`, size(shapeOf(op.y)));
        kernel(addKernel(size(shapeOf(op.y)), { a: valueOf(op.a), b: valueOf(op.b), y }));
        value.set(op.y, y);
        if (constant.has(op.a) && constant.has(op.b)) constant.add(op.y);
        break;
      }
      case 'batchNorm': {
        const g = group as NormGroup;
        const y = storage(`t${g.out}`, size(shapeOf(g.out)));
        kernel(
          batchNormForward(normLayout(g), {
            x: valueOf(op.x),
            params: persistent.params,
            stats: persistent.stats,
            saved: persistent.saved,
            y,
            ...(g.residual !== undefined ? { residual: valueOf(g.residual) } : {}),
          }),
        );
        value.set(g.out, y);
        break;
      }
      case 'relu': {
        const y = storage(`t${op.y}`, size(shapeOf(op.y)));
        kernel(reluKernel(size(shapeOf(op.y)), { x: valueOf(op.x), y }));
        value.set(op.y, y);
        if (constant.has(op.x)) constant.add(op.y);
        break;
      }
      case 'prelu':
        throw new UncompilableModelError(`PReLU of tensor ${op.x} does not follow a batch norm; the compiled step fuses PReLU into the batch norm before it`);
    }
  }

  // The head: normalise, margin softmax and its gradient at the cosines.
  const embeddings = valueOf(graph.embeddings);
  kernel(headNormalize(headLayout, { embeddings, params: persistent.params, scratch: persistent.scratch }));
  kernel(headSoftmax(headLayout, { labels: persistent.labels, scratch: persistent.scratch, logits: persistent.logits, step: persistent.step }));

  // Backward, in reverse. A tensor's gradient is written by its first contribution and added to by the rest.
  const grad = new Map<number, Storage>();
  const kernelTarget = (t: number): { storage: Storage; accumulate: boolean } => {
    const existing = grad.get(t);
    if (existing !== undefined) return { storage: existing, accumulate: true };
    const s = storage(`d${t}`, size(shapeOf(t)));
    grad.set(t, s);
    return { storage: s, accumulate: false };
  };
  // A gradient passed on unchanged (addition, reshape): shared when it is the tensor's only
  // one, copied when more will be added to it, added when some is there already.
  const passOn = (t: number, source: Storage) => {
    if (constant.has(t)) return;
    const existing = grad.get(t);
    if (existing !== undefined) {
      kernel(accumulateKernel(size(shapeOf(t)), { source, target: existing }));
    } else if (consumerCount(t) === 1) {
      grad.set(t, source);
    } else {
      const copy = storage(`d${t}`, size(shapeOf(t)));
      steps.push({ kind: 'copy', from: source, to: copy, bytes: copy.bytes });
      grad.set(t, copy);
    }
  };
  const needsGrad = (t: number) => !constant.has(t);
  const dEmbeddings = kernelTarget(graph.embeddings).storage;
  kernel(headBackward(headLayout, { scratch: persistent.scratch, logits: persistent.logits, grads: persistent.grads, dEmbeddings }));

  for (let i = order.length - 1; i >= 0; i--) {
    const { op, group } = order[i]!;
    const out = group?.out ?? outputOf(op);
    const dy = grad.get(out);
    if (dy === undefined) continue; // nothing downstream trains through it
    switch (op.kind) {
      case 'reshape':
        passOn(op.x, dy);
        break;
      case 'add':
        passOn(op.a, dy);
        passOn(op.b, dy);
        break;
      case 'relu':
        if (needsGrad(op.x)) kernel(reluBackwardKernel(size(shapeOf(op.x)), { x: valueOf(op.x), dy, dx: kernelTarget(op.x) }));
        break;
      case 'rescale':
        if (needsGrad(op.x)) throw new UncompilableModelError('a Rescaling layer is compiled only on the input');
        break;
      case 'conv':
        kernel(
          convBackward(convGeometry(op, shapeOf, trainedAt(op.filter, `conv of tensor ${op.x}`)), {
            x: valueOf(op.x),
            dy,
            params: persistent.params,
            grads: persistent.grads,
            ...(needsGrad(op.x) ? { dx: kernelTarget(op.x) } : {}),
          }),
        );
        break;
      case 'dense':
        kernel(
          denseBackward(denseLayout(op, shapeOf, trainedAt), {
            x: valueOf(op.x),
            dy,
            params: persistent.params,
            grads: persistent.grads,
            ...(needsGrad(op.x) ? { dx: kernelTarget(op.x) } : {}),
          }),
        );
        break;
      case 'batchNorm': {
        const g = group as NormGroup;
        if (g.residual !== undefined) passOn(g.residual, dy);
        if (!needsGrad(op.x)) throw new UncompilableModelError('a batch norm directly on the images is not compiled');
        kernel(
          batchNormBackward(normLayout(g), {
            x: valueOf(op.x),
            dy,
            params: persistent.params,
            saved: persistent.saved,
            grads: persistent.grads,
            dx: kernelTarget(op.x),
          }),
        );
        break;
      }
      default:
        break;
    }
  }

  kernel(
    summaryKernel(
      { backboneSize: backbone, batch, loss: scratchLayout.loss, theta: scratchLayout.theta, ...(graph.clipNorm !== undefined ? { clipNorm: graph.clipNorm } : {}) },
      { grads: persistent.grads, scratch: persistent.scratch, summary: persistent.summary },
    ),
  );
  if (trained > 0) {
    kernel(
      optimizerKernel(graph.optimizer, { size: trained, backboneSize: backbone }, {
        params: persistent.params,
        grads: persistent.grads,
        summary: persistent.summary,
        step: persistent.step,
        slots: persistent.slots,
      }),
    );
  }
  return {
    steps,
    storages,
    persistent,
    placement,
    sizes: { backbone, trained, params: paramsSize, stats: statsSize },
    fused,
  };
}

function inputsOf(op: GraphOp): number[] {
  return op.kind === 'add' ? [op.a, op.b] : [op.x];
}

function outputOf(op: GraphOp): number {
  return op.y;
}

function convGeometry(op: Extract<GraphOp, { kind: 'conv' }>, shapeOf: (t: number) => readonly number[], offset: number): ConvGeometry {
  const [n, h, w, c] = shapeOf(op.x) as [number, number, number, number];
  const [, oh, ow, co] = shapeOf(op.y) as [number, number, number, number];
  if (c % op.groups !== 0 || co % op.groups !== 0) {
    throw new UncompilableModelError(`conv of tensor ${op.x}: ${c} → ${co} channels do not split into ${op.groups} groups`);
  }
  return { batch: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, outChannels: co, kernel: op.kernel, stride: op.stride, padding: op.padding, groups: op.groups, offset };
}

function denseLayout(
  op: Extract<GraphOp, { kind: 'dense' }>,
  shapeOf: (t: number) => readonly number[],
  trainedAt: (i: number, what: string) => number,
) {
  const [b, k] = shapeOf(op.x) as [number, number];
  const units = shapeOf(op.y)[1] as number;
  if (shapeOf(op.x).length !== 2) throw new UncompilableModelError(`dense of tensor ${op.x} needs a [batch, features] input`);
  return { batch: b, inputs: k, units, kernel: trainedAt(op.kernel, 'dense'), ...(op.bias !== undefined ? { bias: trainedAt(op.bias, 'dense bias') } : {}) };
}

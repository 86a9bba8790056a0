import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { UncompilableModelError } from '../../errors';
import { planArena } from './buffer-arena';
import { planTrainingStep, type Storage } from './schedule';
import type { GraphOp, GraphParam, TrainingGraph } from './training-graph';

const B = 4;
const v = (size: number) => tf.variable(tf.zeros([size]));

/** conv → BN → PReLU → conv → BN (+ the first PReLU's output) → flatten → dense → BN, and the head. */
function residualGraph(ops?: GraphOp[]): TrainingGraph {
  const params: GraphParam[] = [
    { name: 'conv1', variable: v(3 * 3 * 3 * 8), role: 'backbone' },
    { name: 'bn1/gamma', variable: v(8), role: 'backbone' },
    { name: 'bn1/beta', variable: v(8), role: 'backbone' },
    { name: 'bn1/mean', variable: v(8), role: 'statistic' },
    { name: 'bn1/variance', variable: v(8), role: 'statistic' },
    { name: 'prelu', variable: v(8), role: 'backbone' },
    { name: 'conv2', variable: v(3 * 3 * 8 * 8), role: 'backbone' },
    { name: 'bn2/gamma', variable: v(8), role: 'frozen' },
    { name: 'bn2/beta', variable: v(8), role: 'backbone' },
    { name: 'bn2/mean', variable: v(8), role: 'statistic' },
    { name: 'bn2/variance', variable: v(8), role: 'statistic' },
    { name: 'fc', variable: v(4 * 4 * 8 * 16), role: 'backbone' },
    { name: 'bn3/mean', variable: v(16), role: 'statistic' },
    { name: 'bn3/variance', variable: v(16), role: 'statistic' },
    { name: 'centers', variable: v(5 * 16), role: 'centers' },
  ];
  const norm = (x: number, y: number, gamma: number | undefined, beta: number | undefined, mean: number): GraphOp => ({
    kind: 'batchNorm', x, y, ...(gamma !== undefined ? { gamma } : {}), ...(beta !== undefined ? { beta } : {}), movingMean: mean, movingVariance: mean + 1, epsilon: 1e-5, momentum: 0.9,
  });
  return {
    tensors: [[B, 4, 4, 3], [B, 4, 4, 8], [B, 4, 4, 8], [B, 4, 4, 8], [B, 4, 4, 8], [B, 4, 4, 8], [B, 4, 4, 8], [B, 128], [B, 16], [B, 16]],
    input: 0,
    embeddings: 9,
    ops: ops ?? [
      { kind: 'conv', x: 0, y: 1, filter: 0, kernel: [3, 3], stride: [1, 1], padding: [1, 1], groups: 1 },
      norm(1, 2, 1, 2, 3),
      { kind: 'prelu', x: 2, y: 3, alpha: 5 },
      { kind: 'conv', x: 3, y: 4, filter: 6, kernel: [3, 3], stride: [1, 1], padding: [1, 1], groups: 1 },
      norm(4, 5, 7, 8, 9),
      { kind: 'add', a: 5, b: 3, y: 6 },
      { kind: 'reshape', x: 6, y: 7 },
      { kind: 'dense', x: 7, y: 8, kernel: 11 },
      norm(8, 9, undefined, undefined, 12),
    ],
    params,
    head: { centers: 14, classes: 5, margin: { name: 'test', wgsl: 'fn margin_target(c: f32, p: f32) -> f32 { return c; }\nfn margin_slope(c: f32, p: f32) -> f32 { return 1.0; }', scale: 8, straightThrough: false } },
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4, nesterov: false },
  };
}

describe('planTrainingStep', () => {
  it('fuses PReLU and the residual addition into the batch norms, in forward, head, backward, optimiser order', () => {
    const plan = planTrainingStep(residualGraph());
    expect(plan.fused).toEqual({ prelu: 1, residual: 1, reshapes: 1 });
    const labels = plan.steps.map((s) => (s.kind === 'kernel' ? s.spec.label : 'copy'));
    expect(labels).toEqual([
      'conv', 'batch-norm', 'conv', 'batch-norm', 'dense', 'batch-norm',
      'head-normalize', 'head-softmax', 'head-backward',
      // The residual operand's gradient is the addition's, copied before more is added to it.
      'batch-norm-backward', 'dense-backward', 'copy', 'batch-norm-backward', 'conv-backward', 'batch-norm-backward', 'conv-backward',
      'summary', 'optimizer-sgd',
    ]);
    // Backbone weights, then the centres, then the frozen γ; statistics apart.
    expect(plan.sizes).toEqual({ backbone: 216 + 8 + 8 + 8 + 576 + 8 + 2048, trained: 2872 + 80, params: 2952 + 8, stats: 64 });
  });

  it('plans buffers so that nothing a step binds shares a buffer, and every buffer is written before it is read', () => {
    const plan = planTrainingStep(residualGraph());
    const arena = planArena(plan.steps);
    const written = new Set<Storage>();
    plan.steps.forEach((step, at) => {
      const uses = step.kind === 'kernel' ? step.spec.bindings.map((b) => ({ s: b.storage, writes: b.access === 'read_write', reads: b.access !== 'read_write' })) : [{ s: step.from, writes: false, reads: true }, { s: step.to, writes: true, reads: false }];
      const slots = uses.filter((u) => !u.s.persistent).map((u) => arena.slotOf.get(u.s));
      expect(new Set(slots).size, `step ${at}`).toBe(slots.length);
      for (const u of uses) {
        if (u.s.persistent) continue;
        if (u.reads) expect(written.has(u.s), `step ${at} reads ${u.s.name} before anything wrote it`).toBe(true);
        if (u.writes) written.add(u.s);
      }
    });
    // Reuse happened: fewer buffers than storages.
    expect(arena.sizes.length).toBeLessThan(plan.storages.filter((s) => !s.persistent).length);
  });

  it('refuses a PReLU that no batch norm precedes, naming why', () => {
    const graph = residualGraph();
    const ops = [...graph.ops];
    ops.splice(1, 1, { kind: 'reshape', x: 1, y: 2 });
    expect(() => planTrainingStep({ ...graph, ops })).toThrow(UncompilableModelError);
    expect(() => planTrainingStep({ ...graph, ops })).toThrow(/PReLU of tensor 2 does not follow a batch norm/);
  });
});

import type { GraphOptimizer } from '../training-graph';
import { kernelSpec, ENTRY, f32, REDUCE_WORKGROUP, threadGrid, WORKGROUP, workgroupSum, type Binding, type KernelSpec } from './wgsl';

/** Slots of the summary buffer the step reads back. */
export const SUMMARY = { loss: 0, gradNorm: 1, theta: 2, clipFactor: 3, finite: 4, size: 8 } as const;

/**
 * One workgroup: the backbone gradient's global norm, the batch's mean loss and target angle,
 * the clip factor, and whether loss and norm are finite (the optimiser applies nothing when
 * they are not, as the eager step's guard).
 */
export function summaryKernel<S>(
  l: { backboneSize: number; batch: number; loss: number; theta: number; clipNorm?: number },
  io: { grads: S; scratch: S; summary: S },
): KernelSpec<S> {
  const bindings: Binding<S>[] = [
    { name: 'grads', storage: io.grads, access: 'read' },
    { name: 'scratch', storage: io.scratch, access: 'read' },
    { name: 'summary', storage: io.summary, access: 'read_write' },
  ];
  const N = REDUCE_WORKGROUP;
  const code = `var<workgroup> r1: array<f32, ${N}>;
var<workgroup> r2: array<f32, ${N}>;
var<workgroup> r3: array<f32, ${N}>;
fn finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }
${ENTRY(N)} {
  var sq = 0.0;
  for (var i = lid; i < ${l.backboneSize}u; i = i + ${N}u) { let g = grads[i]; sq = sq + g * g; }
  var loss = 0.0;
  var theta = 0.0;
  for (var b = lid; b < ${l.batch}u; b = b + ${N}u) { loss = loss + scratch[${l.loss}u + b]; theta = theta + scratch[${l.theta}u + b]; }
  r1[lid] = sq;
  r2[lid] = loss;
  r3[lid] = theta;
  ${workgroupSum(['r1', 'r2', 'r3'])}
  if (lid == 0u) {
    let norm = sqrt(r1[0]);
    let mean = r2[0] / ${f32(l.batch)};
    summary[${SUMMARY.loss}] = mean;
    summary[${SUMMARY.gradNorm}] = norm;
    summary[${SUMMARY.theta}] = r3[0] / ${f32(l.batch)};
    summary[${SUMMARY.clipFactor}] = ${l.clipNorm === undefined ? '1.0' : `min(1.0, ${f32(l.clipNorm)} / (norm + ${f32(1e-6)}))`};
    summary[${SUMMARY.finite}] = select(0.0, 1.0, finite(mean) && finite(norm));
  }
}`;
  return kernelSpec('summary', bindings, code, [1, 1]);
}

/**
 * The optimiser over every trained value at once (backbone first, then the centres), reading
 * the clip factor and the finiteness flag from the summary and the learning rate from the step
 * uniform. The formulas are the eager optimisers' (`@arcface/trainer`'s sgd and adamw).
 */
export function optimizerKernel<S>(
  optimizer: GraphOptimizer,
  l: { size: number; backboneSize: number },
  io: { params: S; grads: S; summary: S; step: S; slots: readonly S[] },
): KernelSpec<S> {
  const grid = threadGrid(l.size);
  const bindings: Binding<S>[] = [
    { name: 'params', storage: io.params, access: 'read_write' },
    { name: 'grads', storage: io.grads, access: 'read' },
    { name: 'summary', storage: io.summary, access: 'read' },
    { name: 'step', storage: io.step, access: 'uniform' },
    ...io.slots.map((s, i) => ({ name: `slot${i}`, storage: s, access: 'read_write' as const })),
  ];
  let update: string;
  if (optimizer.kind === 'sgd') {
    const { momentum, weightDecay, nesterov } = optimizer;
    update = `${weightDecay > 0 ? `g = g + p * ${f32(weightDecay)};` : ''}
  let v = slot0[i] * ${f32(momentum)} + g;
  slot0[i] = v;
  let delta = ${nesterov ? `g + v * ${f32(momentum)}` : 'v'};
  params[i] = p - delta * step.lr;`;
  } else {
    const { beta1, beta2, epsilon, weightDecay } = optimizer;
    update = `let m = slot0[i] * ${f32(beta1)} + g * ${f32(1 - beta1)};
  let v = slot1[i] * ${f32(beta2)} + g * g * ${f32(1 - beta2)};
  slot0[i] = m;
  slot1[i] = v;
  let decayed = ${weightDecay > 0 ? 'p * step.decay' : 'p'};
  params[i] = decayed - (m / step.bias1) / (sqrt(v / step.bias2) + ${f32(epsilon)}) * step.lr;`;
  }
  const code = `${ENTRY(WORKGROUP)} {
  let i = ${grid.index};
  if (i >= ${l.size}u || summary[${SUMMARY.finite}] == 0.0) { return; }
  var g = grads[i];
  if (i < ${l.backboneSize}u) { g = g * summary[${SUMMARY.clipFactor}]; }
  let p = params[i];
  ${update}
}`;
  return kernelSpec(`optimizer-${optimizer.kind}`, bindings, code, grid.workgroups);
}

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { traceKernels } from './kernel-tracer';
import { formatProfile, joinProfile, summarise, SCOPE } from './profile-report';

describe('profile of a step', () => {
  it('joins tf.profile with the traced calls, keeps scopes out of the totals, counts sync reads', async () => {
    await import('@tensorflow/tfjs-layers');
    await tf.setBackend('cpu');
    const x = tf.variable(tf.randomNormal([8, 8], 0, 1, 'float32', 1));
    const square = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a]);
      return { value: tf.square(a), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(saved[0]!, 2)) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const tracer = traceKernels();
    let info;
    try {
      info = await tf.profile(() => {
        const g = tf.grad((a: tf.Tensor) => tf.sum(square(tf.matMul(a, a))))(x);
        // A synchronous read inside a kernel: tfjs' cpu Tile reads its input with readSync.
        const tiled = tf.tile(g, [2, 1]);
        g.dispose();
        return tiled;
      });
    } finally {
      tracer.stop();
    }
    const calls = joinProfile(info.kernels as unknown as Parameters<typeof joinProfile>[0], tracer.records);
    expect(calls.length).toBe(info.kernels.length);
    // Every registered kernel found its traced call, despite the Identity clones in between.
    expect(calls.filter((c) => c.where === 'cpu').length).toBe(tracer.records.length);
    const scopes = calls.filter((c) => c.where === SCOPE);
    expect(scopes.length).toBeGreaterThan(0);
    const summary = summarise('toy', 'cpu', calls, 10, 5);
    const outermost = calls.filter((c) => c.where !== SCOPE);
    expect(summary.kernels).toBe(outermost.length);
    expect(summary.kernelMs).toBeCloseTo(outermost.reduce((a, c) => a + c.kernelMs, 0), 6);
    expect(summary.byWhere).toEqual({ cpu: outermost.length });
    expect(calls.find((c) => c.name === 'Tile')?.syncReads).toBeGreaterThan(0);
    expect(calls.find((c) => c.name === 'BatchMatMul')?.inputShapes).toEqual([[8, 8], [8, 8]]);
    const text = formatProfile(summary, 5);
    expect(text).toMatch(/kernels: \d+ \(\d+ on cpu\); {2}synchronous reads: [1-9]/);
    expect(text).toContain('| BatchMatMul |');
    (info.result as tf.Tensor).dispose();
    x.dispose();
  });

  it('restores the kernels it wrapped', () => {
    const before = tf.getKernel('Add', 'cpu')!.kernelFunc;
    const tracer = traceKernels();
    expect(tf.getKernel('Add', 'cpu')!.kernelFunc).not.toBe(before);
    tracer.stop();
    expect(tf.getKernel('Add', 'cpu')!.kernelFunc).toBe(before);
  });
});

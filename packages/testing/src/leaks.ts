import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * Runs `fn` and asserts that it left no tensor behind apart from those it returned
 * (which stay the caller's to dispose). The check tfjs' own suites use: `tf.memory().numTensors`.
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = collectTensors(result);
  const after = tf.memory().numTensors;
  expect(after - returned.length, 'tensors leaked').toBe(before);
  return result;
}

function collectTensors(value: unknown, seen = new Set<unknown>()): tf.Tensor[] {
  if (value instanceof tf.Tensor) return [value];
  if (value === null || typeof value !== 'object' || seen.has(value) || ArrayBuffer.isView(value)) return [];
  seen.add(value);
  const out: tf.Tensor[] = [];
  for (const item of Object.values(value as Record<string, unknown>)) out.push(...collectTensors(item, seen));
  return out;
}

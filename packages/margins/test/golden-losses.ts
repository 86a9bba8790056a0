import { readGolden } from '@arcface/testing';
import type { MarginOptions } from '../src/margin-fn';

/** One case of the golden `losses.json`: inputs, and the float64 loss, logits and gradients. */
export interface LossCase {
  id: string;
  margin: { name: string; options: MarginOptions };
  s: number;
  x: number[][];
  W: number[][];
  labels: number[];
  logits: number[][];
  loss: number;
  grad_x: number[][];
  grad_W: number[][];
}

export const goldenLosses = readGolden<{ cases: LossCase[] }>('losses.json');

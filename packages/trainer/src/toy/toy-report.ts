import type * as tf from '@tensorflow/tfjs-core';
import type { MarginOptions } from '@arcface/margins';

/** Images for the toy experiment instead of its own faces: flattened and centred by it. */
export interface ToyImages {
  readonly images: tf.Tensor4D;
  /** Class ids in [0, classes). */
  readonly labels: Int32Array;
  readonly classes: number;
}

/** One side of the toy experiment (the paper's Fig. 3): its 2-D features and what they show. */
export interface ToyPanelReport {
  readonly label: string;
  readonly margin: { readonly name: string; readonly options: MarginOptions };
  readonly features: ReadonlyArray<{ readonly x: number; readonly y: number; readonly label: number }>;
  readonly centers: ReadonlyArray<{ readonly x: number; readonly y: number; readonly label: number }>;
  /** The geodesic gap between the nearest classes, degrees (negative: overlap); see `measureToyGeometry`. */
  readonly gapDegrees: number;
  /** Mean angle of features to their class's mean direction, degrees. */
  readonly intraDegrees: number;
  /** Share of training samples whose nearest class centre is their own. */
  readonly accuracy: number;
}

/** The toy experiment: softmax and a margin trained from the same start on the same faces. */
export interface ToyReport {
  readonly identities: number;
  readonly samplesPerIdentity: number;
  readonly steps: number;
  readonly panels: readonly ToyPanelReport[];
}

import type * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneOptions } from '@arcface/backbones';
import type { AugmentOptions, FaceDataset } from '@arcface/data';
import type { MarginFn, MarginOptions } from '@arcface/margins';
import type { VerificationSet } from '../evaluation/verification-set';
import type { CheckpointStore } from '../checkpoint/checkpoint-store-interface';
import type { ClassificationHead, HeadConfig } from '../heads/head';
import type { Optimizer } from '../optim/optimizer';
import type { OptimizerConfig } from '../optim/create-optimizer';
import type { ScheduleConfig } from '../optim/learning-rate';
import type { TrainerEvent } from './trainer-events';
import type { GradientCheckpoints } from './backbone-forward';

/**
 * Everything `createTrainer` takes: each part is plain settings or an object the caller built
 * (dependency injection by factory settings, no container).
 */
export interface TrainerConfig {
  /** A built model, or a registry name and options for `createBackbone`. */
  readonly backbone: tfl.LayersModel | { readonly name: string; readonly options?: BackboneOptions & Record<string, unknown> };
  /** A margin object, or a registry name and options for `createMargin`. */
  readonly margin: MarginFn | { readonly name: string; readonly options?: MarginOptions };
  /** Head settings, or a head object [full classifier]. */
  readonly head?: HeadConfig | ClassificationHead;
  /** The training set: class ids in [0, numClasses). */
  readonly data: FaceDataset;
  /** Augmentation of training images [none]. */
  readonly augment?: AugmentOptions;
  /** Optimiser settings or object [SGD, insightface's momentum 0.9, weight decay 5e-4]. */
  readonly optimizer?: OptimizerConfig | Optimizer;
  /** Learning-rate schedule [polynomial from lr 0.1 over `steps`]. */
  readonly schedule?: ScheduleConfig;
  /** Samples per micro-batch. */
  readonly batchSize: number;
  /** Optimiser steps to train in all. */
  readonly steps: number;
  /** Micro-batches whose gradients are averaged into one update [1]. */
  readonly accumulationSteps?: number;
  /**
   * Gradient checkpoints for the backbone: keep only the activations at segment boundaries in
   * the forward pass and recompute the rest during the backward pass (less memory, ~15–25%
   * more time) ['auto': on the wasm backend for batches of at least 16 crops of 112×112, whose
   * 4 GB heap cannot hold such a step otherwise]. 'none', 'blocks' (one segment per residual
   * block) or a number of segments.
   */
  readonly gradientCheckpoints?: GradientCheckpoints;
  /** Clip the backbone's gradient to this global L2 norm (arcface_torch: 5) [5]; `null` turns it off. */
  readonly clipGradientNorm?: number | null;
  /** Seed of everything random: data order, augmentation, centre init, Partial FC sampling. */
  readonly seed: number;
  /** The width D the head's centres must have; checked against the backbone's output [the backbone's]. */
  readonly embeddingSize?: number;
  /**
   * Checkpoints: where (a store: `fileCheckpointStore(folder, { keep })` from
   * `@arcface/trainer/node`, `memoryCheckpointStore()`, or your own), how often, and whether to
   * resume from the newest.
   */
  readonly checkpoint?: {
    readonly store: CheckpointStore;
    /** Write one every `every` steps (and at the end) [100]. */
    readonly every?: number;
    /** Start from the newest readable checkpoint when there is one [true]. */
    readonly resume?: boolean;
  };
  /** Evaluation during training. */
  readonly evaluation?: {
    /** Every `every` steps, and after the last [0: only after the last]. */
    readonly every?: number;
    /** Verification sets (held-out identities, `.bin` sets). */
    readonly sets?: readonly VerificationSet[];
    /** Flip-sum embeddings (insightface's protocol) [true]. */
    readonly flip?: boolean;
    /** Images per forward pass [64]. */
    readonly batchSize?: number;
    /** Training samples used for the Table 3 angle statistics [256; 0 turns them off]. */
    readonly statisticsSamples?: number;
  };
  /** Receives one JSON-serialisable record per step and per evaluation (a JSON-lines log). */
  readonly metrics?: (record: Record<string, unknown>) => void;
  /** Progress events, e.g. for progress bars. */
  readonly onEvent?: (event: TrainerEvent) => void;
  /**
   * On the webgpu backend, train through the compiled step (traced once, fused WGSL kernels,
   * one submission per step): `'auto'` when the model, head and optimiser allow it and eagerly
   * otherwise, saying why through `logger`; `'always'` fails with UncompilableModelError
   * instead; `'never'` trains eagerly ['auto']. Other backends always train eagerly.
   */
  readonly compile?: 'auto' | 'always' | 'never';
  /** Where warnings go [console]. */
  readonly logger?: { warn(message: string): void; info?(message: string): void };
  /** Time source for throughput figures [Date]. */
  readonly clock?: { now(): number };
}

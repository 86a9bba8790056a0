import type { VerificationResult } from '@arcface/core';
import type { HypersphereStatistics } from '@arcface/core';

/** Figures of one optimiser step. */
export interface StepMetrics {
  /** 1-based: the number of updates done after this step. */
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  /** Mean angle θ_y between embeddings and their own class centre, degrees (the paper's Fig. 4a). */
  readonly thetaY: number;
  /** Backbone gradient L2 norm before clipping. */
  readonly gradNorm: number;
  /** Training images per second over this step. */
  readonly imagesPerSecond: number;
}

/** Verification of one set. */
export interface SetEvaluation {
  readonly name: string;
  readonly pairs: number;
  readonly verification: VerificationResult;
}

/** One evaluation pass. */
export interface EvaluationReport {
  readonly step: number;
  readonly sets: readonly SetEvaluation[];
  /** Table 3 angles on a sample of the training set; absent when turned off. */
  readonly statistics?: HypersphereStatistics;
}

/** What a progress callback receives. */
export type TrainerEvent =
  | { readonly type: 'start'; readonly step: number; readonly totalSteps: number; readonly resumedFrom?: string }
  | ({ readonly type: 'step'; readonly totalSteps: number } & StepMetrics)
  | { readonly type: 'evaluation'; readonly report: EvaluationReport }
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
  | { readonly type: 'end'; readonly step: number; readonly seconds: number };

import type { JsonValue } from '@arcface/margins';

import type { AngleSnapshot } from '../plots/angle-trajectories';
import type { ThetaSnapshot } from '../plots/theta-distribution';
import type { MeanInterval, PairedComparison } from '../stats/seed-statistics';
import type { ToyReport } from '@arcface/trainer/toy';

/** A margin as saved: `createMargin(name, options)` rebuilds it. */
export interface MarginSpec {
  readonly name: string;
  readonly options: { readonly [key: string]: JsonValue | undefined };
}

/** The paper's Table 3 statistics, in degrees. */
export interface AngleStatisticsDegrees {
  /** Mean angle between each class centre W_j and the centre of its class's features. */
  readonly wEc: number;
  /** Mean over centres of the smallest angle to another centre. */
  readonly wInter: number;
  /** Mean angle from each feature to its class's feature centre. */
  readonly intra: number;
  /** Mean over classes of the smallest angle between feature centres. */
  readonly inter: number;
}

/** Pair verification of one model on held-out identities (insightface's protocol). */
export interface VerificationSummary {
  readonly pairs: number;
  readonly samePairs: number;
  readonly folds: number;
  /** Mean and standard deviation (ddof 0) of the held-out-fold accuracies. */
  readonly accuracy: { readonly mean: number; readonly std: number };
  /** Each fold's threshold (squared L2) and held-out accuracy. */
  readonly foldResults: ReadonlyArray<{ readonly threshold: number; readonly accuracy: number }>;
  /** TAR at the requested FAR, mean and std over folds, and the FAR reached. */
  readonly tarAtFar: { readonly targetFar: number; readonly tar: { readonly mean: number; readonly std: number }; readonly far: number };
  readonly auc: number;
  /** ROC points (FPR, TPR per threshold, averaged over the held-out folds). */
  readonly roc: { readonly fpr: readonly number[]; readonly tpr: readonly number[] };
}

/** One trained margin: how training went and how the model verifies unseen identities. */
export interface MarginRunReport {
  /** Display name, e.g. `ArcFace`. */
  readonly label: string;
  /** The seed of this run: data (split), initial weights and batch order; shared by every margin. */
  readonly seed: number;
  readonly margin: MarginSpec;
  readonly training: {
    readonly steps: number;
    readonly batchSize: number;
    readonly durationMs: number;
    /** Loss per logged step. */
    readonly loss: ReadonlyArray<{ readonly step: number; readonly loss: number }>;
    /** Target angle θ_y (degrees) summaries over training. */
    readonly theta: readonly ThetaSnapshot[];
    /** The paper's Table 3 statistics on training images at the same snapshots. */
    readonly angles: readonly AngleSnapshot[];
  };
  readonly verification: VerificationSummary;
  /** Table 3 statistics on the training identities (features and trained class centres). */
  readonly angles: AngleStatisticsDegrees;
  /** Intra and Inter on the held-out identities (no class centres exist for them). */
  readonly heldOutAngles: { readonly intra: number; readonly inter: number };
}

/** One margin over every seed: held-out accuracy, TAR and AUC with their 95% t intervals. */
export interface MarginSummary {
  readonly label: string;
  readonly name: string;
  readonly seeds: readonly number[];
  /** Held-out accuracy per seed, in seed order. */
  readonly accuracies: readonly number[];
  readonly accuracy: MeanInterval;
  readonly auc: MeanInterval;
  readonly tar: MeanInterval;
}

/** A margin against the margin-free baseline, paired seed by seed (a − b). */
export interface MarginComparison extends PairedComparison {
  readonly a: string;
  readonly b: string;
  readonly seeds: readonly number[];
}

/** The appendix study: smallest angle between class centres against the number of classes. */
export interface ClassCountStudy {
  readonly margin: MarginSpec;
  readonly label: string;
  readonly steps: number;
  readonly embeddingSize: number;
  readonly points: ReadonlyArray<{ readonly classes: number; readonly trained: number; readonly random: number; readonly trainedMeanNearest: number }>;
}

/** Everything a demo run measured; `report.json` holds exactly this. */
export interface DemoReport {
  readonly format: 'arcface-demo-report';
  readonly version: 2;
  readonly createdAt: string;
  readonly durationMs: number;
  readonly command: string;
  readonly environment: {
    readonly backend: string;
    readonly backendNote?: string;
    readonly node: string;
    readonly platform: string;
    readonly cpus: number;
    readonly cpuModel: string;
  };
  readonly dataset: {
    readonly source: string;
    readonly imageShape: readonly [number, number, number];
    readonly trainIdentities: number;
    readonly trainImages: number;
    readonly heldOutIdentities: number;
    readonly heldOutImages: number;
  };
  readonly settings: {
    readonly quick: boolean;
    /** The data and training recipe, by name, with what it is. */
    readonly recipe: { readonly name: string; readonly description: string };
    readonly seeds: readonly number[];
    readonly augment: { readonly [key: string]: JsonValue | undefined };
    readonly backbone: { readonly name: string; readonly options: { readonly [key: string]: JsonValue | undefined } };
    readonly steps: number;
    readonly batchSize: number;
    readonly optimizer: { readonly [key: string]: JsonValue | undefined };
    readonly seed: number;
  };
  /** Every (seed, margin) run, seed by seed in the settings' margin order. */
  readonly runs: readonly MarginRunReport[];
  /** Per margin, over seeds, in the settings' margin order. */
  readonly summary: readonly MarginSummary[];
  /** ArcFace − Norm-Softmax, paired by seed (absent when either is not trained). */
  readonly comparison?: MarginComparison;
  readonly classCounts?: ClassCountStudy;
  readonly toy?: ToyReport;
}

import type { MarginOptions } from '@arcface/margins';
import type { CustomMarginSpec } from '../custom/custom-margin';
import type { ToyGeometry } from '@arcface/trainer/toy';

/** Backends the page can ask for; `auto` lets the chooser decide. */
export type BackendRequest = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface ToySideConfig {
  readonly margin: string;
  readonly options: MarginOptions;
}

/** Messages from the page to the training worker. */
export type ToyCommand =
  | { readonly type: 'init'; readonly backend: BackendRequest; readonly wasmBase: string }
  | {
      readonly type: 'configure';
      readonly dimension: 2 | 3;
      readonly sides: readonly [ToySideConfig, ToySideConfig];
      readonly custom: readonly CustomMarginSpec[];
      readonly seed: number;
    }
  | { readonly type: 'start' }
  | { readonly type: 'pause' }
  | { readonly type: 'reset' };

export interface BackendReport {
  readonly name: string;
  readonly reason: string;
  /** One line per candidate tried: why it was taken or skipped. */
  readonly attempts: readonly string[];
}

export interface ToySideSnapshot {
  readonly margin: string;
  /** How this side trains: one compiled WebGPU submission per step, or tfjs' eager kernels. */
  readonly path: 'compiled' | 'eager';
  /** Losses of the steps since the last snapshot. */
  readonly losses: readonly number[];
  /** Unit features of the evaluation images, `count × dimension`. */
  readonly points: Float32Array;
  /** Unit class centres, `identities × dimension`. */
  readonly centers: Float32Array;
  readonly geometry: ToyGeometry;
}

/** Messages from the worker to the page. */
export type ToyEvent =
  | { readonly type: 'backend'; readonly report: BackendReport }
  | {
      readonly type: 'ready';
      readonly labels: Int32Array;
      readonly dimension: 2 | 3;
      /** One image of each identity as RGB bytes, `identities × size × size × 3`. */
      readonly faces: { readonly size: number; readonly pixels: Uint8Array };
    }
  | {
      readonly type: 'progress';
      readonly step: number;
      readonly running: boolean;
      readonly stepsPerSecond: number;
      readonly sides: readonly [ToySideSnapshot, ToySideSnapshot];
    }
  | { readonly type: 'error'; readonly message: string; readonly code?: string };

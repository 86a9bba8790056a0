/** The engines `selectBackend` knows, in the words of this package (not tfjs' backend names). */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What happened to one candidate. */
export type CandidateStatus = 'chosen' | 'skipped' | 'failed';

export interface CandidateReport {
  readonly name: BackendName;
  readonly status: CandidateStatus;
  /**
   * Why, in words a person can act on: the missing package and the command that installs it,
   * the adapter that was not found, the probe's error, or that an earlier candidate won.
   */
  readonly reason: string;
}

/** What `selectBackend` found: what runs tensors now, and why each other candidate does not. */
export interface BackendSelectionReport {
  /** The chosen candidate. */
  readonly name: BackendName;
  /** The tfjs backend now active (`tf.getBackend()`), e.g. 'tensorflow', 'webgpu', 'wasm'. */
  readonly chosen: string;
  /** 'node' or 'browser': which candidate list applied. */
  readonly environment: 'node' | 'browser';
  /** Every candidate in the order tried. */
  readonly candidates: readonly CandidateReport[];
}

/** The outcome of `selectBackend`, and the handle that takes its changes back. */
export interface BackendSelection extends BackendSelectionReport {
  /**
   * Puts tfjs and the process back as `selectBackend` found them: the kernels it registered
   * or replaced per backend (the same kernel configs again), the gradients, the engine's
   * `gradients` (lean backpropagation), tfjs' flags, the globals it set (`navigator`, Dawn's
   * `GPU*` classes, `Worker`), and the active backend; the native kernels' threads end. The
   * backend it initialised stays registered, so tensors made on it can still be read (remove it
   * with `tf.removeBackend` to free its memory). Modules it loaded stay loaded. Idempotent.
   */
  release(): Promise<void>;
}

/** Loads a module by name; tests inject fakes, bundler users may pass their own. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

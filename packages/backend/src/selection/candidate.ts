import type { BackendName, ModuleImporter } from './backend-selection';
import type { ChangeJournal } from '../restore/change-journal';

/** Thrown inside a candidate when it does not apply here (package absent, no adapter): reported as 'skipped'. */
export class CandidateSkipped extends Error {}

export interface CandidateContext {
  readonly importer: ModuleImporter;
  /** Register the wasm gradient kernels when wasm is set up. */
  readonly wasmTrainingKernels: boolean;
  /** Register the WebGPU filter-gradient kernels when webgpu is set up. */
  readonly webgpuTrainingKernels: boolean;
  /** Options for Dawn's `create()` (Node's `webgpu` package). */
  readonly dawnFlags: readonly string[];
  /** Where the browser fetches the tfjs .wasm binaries from (`setWasmPaths`). */
  readonly wasmPaths?: string;
  /** XNNPACK threads for wasm in Node (1: the single-threaded build). */
  readonly wasmThreads: number;
  /** 'node' or 'browser'. */
  readonly environment: 'node' | 'browser';
  /** What a candidate wants said about how it was set up (appended to its report). */
  readonly notes: string[];
  /** Where a candidate records every change it makes, to be undone if it fails or when the selection is released. */
  readonly journal: ChangeJournal;
}

/** Prepares one engine: imports what it needs and registers its tfjs backend. Returns the tfjs backend name. */
export interface Candidate {
  readonly name: BackendName;
  prepare(context: CandidateContext): Promise<string>;
}

/** True when an import failed because the package is absent (Node, vite-node, vitest 4 and bundlers word it differently). */
export function isModuleMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Cannot find (module|package)|Could not resolve "[^"]+"|Failed to (load|resolve) (url|import|module)|Failed to fetch dynamically imported module/i.test(message);
}

/** Imports `specifier`; a missing package becomes a {@link CandidateSkipped} carrying `howToInstall`. */
export async function importOrSkip(importer: ModuleImporter, specifier: string, howToInstall: string): Promise<unknown> {
  try {
    return await importer(specifier);
  } catch (error) {
    if (isModuleMissing(error)) throw new CandidateSkipped(`the package ${specifier} is not installed — ${howToInstall}`);
    throw error;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

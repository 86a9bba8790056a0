import type { BackendSelectionReport } from './backend-selection';

const MARK = { chosen: '✓', skipped: '·', failed: '✗' } as const;

/**
 * A few lines for a CLI or a log: the backend in use, then each candidate with its status and reason.
 *
 * @example
 * ```ts
 * console.log(describeBackendSelection(await selectBackend()));
 * // backend: wasm (tfjs 'wasm')
 * //   · tensorflow  skipped  the package @tensorflow/tfjs-node-gpu is not installed — …
 * //   ✓ wasm        chosen   ran a conv training step (forward + backward) correctly, …
 * ```
 */
export function describeBackendSelection(selection: BackendSelectionReport): string {
  const head =
    selection.chosen === 'none' ? 'backend: none could be set up' : `backend: ${selection.name} (tfjs '${selection.chosen}')`;
  const width = Math.max(...selection.candidates.map((c) => c.name.length), 4);
  const lines = selection.candidates.map(
    (c) => `  ${MARK[c.status]} ${c.name.padEnd(width)}  ${c.status.padEnd(7)}  ${c.reason}`,
  );
  return [head, ...lines].join('\n');
}
